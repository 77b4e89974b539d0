package api

// ImportConfirm confirms a previewed import by its file's hash.
type ImportConfirm struct {
	SHA256 string `json:"sha256"`
}

// AckRequest acknowledges the version in force of a policy, naming the
// version and the SHA-256 of the text the person was shown.
type AckRequest struct {
	Version int    `json:"version"`
	SHA256  string `json:"sha256"`
}
