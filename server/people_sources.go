package server

import (
	"net/http"
	"strconv"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/people"
)

// peopleSourceRoutes are role changes (HR-08): the title and department
// changes the register's sources (an HR system, a directory, a CSV
// import) recorded, and the review of each person's access that must
// follow. Reading them is reading person records (read_people);
// recording a review is managing the register.
func (s *Server) peopleSourceRoutes() []route {
	const (
		people = vigil.PermReadPeople
		manage = vigil.PermManage
	)
	rs := []route{
		{name: "ListRoleChanges", method: "GET", path: "/api/v1/role-changes", perm: people, tag: "people", summary: "Every role change (a changed title or department), newest first, with the access review that followed", out: api.Page[vigil.RoleChange]{}, h: s.listRoleChanges},
		{name: "ListPersonRoleChanges", method: "GET", path: "/api/v1/people/{id}/role-changes", perm: people, tag: "people", summary: "One person's role changes, newest first", out: api.Page[vigil.RoleChange]{}, h: s.listRoleChanges},
		{name: "ReviewRoleChange", method: "POST", path: "/api/v1/people/{id}/role-changes/{change}/review", perm: manage, tag: "people", summary: "Record that the person's access was checked after a role change, saying what was done (due within 30 days)", in: api.RoleChangeReview{}, out: vigil.RoleChange{}, h: s.reviewRoleChange},
		{method: "POST", path: "/people/{id}/role-changes/{change}/review", perm: manage, page: true, h: s.roleChangeReviewPage},
	}
	for i := range rs {
		rs[i].needsPeople = true
	}
	return rs
}

// roleChanges is the role changes on the people service's store and clock.
func (s *Server) roleChanges() *people.RoleChanges {
	return &people.RoleChanges{Store: s.people.Store, Now: s.people.Now}
}

func (s *Server) listRoleChanges(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathInt(r, "id"); err != nil {
			return err
		}
	}
	cs, err := s.roleChanges().List(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.RoleChange]{Items: cs})
	return nil
}

func (s *Server) reviewRoleChange(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	change, err := pathInt(r, "change")
	if err != nil {
		return err
	}
	var in api.RoleChangeReview
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.roleChanges().Review(r.Context(), id, change, in.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// roleChangeReviewPage is the person page's review form; refused, the
// message is shown and nothing changes.
func (s *Server) roleChangeReviewPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	change, err := pathInt(r, "change")
	if err != nil {
		return err
	}
	msg := "Access review recorded."
	if _, err := s.roleChanges().Review(r.Context(), id, change, r.PostFormValue("comment")); err != nil {
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		msg = "Not recorded: " + vigil.ErrorMessage(err)
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
