package api

// RoleChangeReview records that the access of a person whose role
// changed was checked: what was removed, kept or granted.
type RoleChangeReview struct {
	Comment string `json:"comment"`
}
