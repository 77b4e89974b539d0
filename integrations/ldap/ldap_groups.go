package ldap

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// Group membership as the directories define it. A privileged group's
// effective members are the accounts reached through every schema in use:
//   - groupOfNames member and groupOfUniqueNames uniqueMember (DNs; a
//     uniqueMember may end in an optional #'0101'B UID, RFC 4517
//     nameAndOptionalUID), both nestable: a member DN that is a group is
//     expanded, never judged as an account;
//   - posixGroup memberUid (account names; RFC 2307 has no nesting);
//   - Active Directory group member, nestable, returned in ranges
//     (member;range=0-1499) when large, and the accounts whose
//     primaryGroupID is the group's RID, which AD never lists in member.
//
// LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941) would expand
// nesting on the server, but only Active Directory has it, so nesting is
// expanded here for both flavours. Cycles (A in B in A, which AD allows)
// end the walk where they close and are reported.

type ldapGroup struct {
	dn, key, cn string
	e           *ldap.Entry
	loaded      bool
	members     []string // member and uniqueMember DNs, every range read
	memberUIDs  []string
	rid         string // AD: the RID of objectSid, matched by primaryGroupID
	err         string
}

type ldapGroups struct {
	d       ldapDirectory
	c       *ldapConfig
	acc     *ldapAccounts
	byKey   map[string]*ldapGroup
	byCN    map[string][]*ldapGroup
	primary map[string][]*ldapUser // AD primaryGroupID => accounts
}

var ldapOptionalUID = regexp.MustCompile(`#'[01]*'B$`)

func (gs *ldapGroups) read() error {
	c := gs.c
	res, err := gs.d.SearchWithPaging(ldap.NewSearchRequest(c.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, c.GroupFilter,
		[]string{"cn", "objectClass", "member", "uniqueMember", "memberUid", "objectSid"}, nil), 500)
	if err != nil {
		return fmt.Errorf("searching groups under %s: %v", c.BaseDN, err)
	}
	gs.byKey, gs.byCN, gs.primary = map[string]*ldapGroup{}, map[string][]*ldapGroup{}, map[string][]*ldapUser{}
	for _, e := range res.Entries {
		g := &ldapGroup{dn: e.DN, key: ldapDNKey(e.DN), cn: e.GetAttributeValue("cn"), e: e}
		if sid := e.GetRawAttributeValue("objectSid"); len(sid) >= 16 && sid[7] == 5 && binary.LittleEndian.Uint32(sid[8:12]) == 21 {
			// A domain SID (S-1-5-21-...) ends with its RID, little-endian;
			// primaryGroupID names a group of the account's own domain, so
			// builtin SIDs (S-1-5-32-544) never match.
			g.rid = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(sid[len(sid)-4:])), 10)
		}
		gs.byKey[g.key] = g
		cn := strings.ToLower(g.cn)
		gs.byCN[cn] = append(gs.byCN[cn], g)
	}
	for _, u := range gs.acc.users {
		if u.primaryGroup != "" {
			gs.primary[u.primaryGroup] = append(gs.primary[u.primaryGroup], u)
		}
	}
	return nil
}

// load gathers a group's member values, reading every further range of a
// ranged attribute (Active Directory answers member;range=0-1499 and
// expects member;range=1500-* next, until a range ending in *).
func (gs *ldapGroups) load(g *ldapGroup) {
	if g.loaded {
		return
	}
	g.loaded = true
	add := func(name string, vals []string) {
		for _, v := range vals {
			if strings.EqualFold(name, "uniqueMember") {
				v = ldapOptionalUID.ReplaceAllString(v, "")
			}
			// An empty DN is the usual placeholder that keeps a
			// groupOfNames (which must have a member) valid when empty.
			if strings.TrimSpace(v) != "" {
				g.members = append(g.members, v)
			}
		}
	}
	for _, at := range g.e.Attributes {
		name, opts, _ := strings.Cut(at.Name, ";")
		switch strings.ToLower(name) {
		case "member", "uniquemember":
			add(name, at.Values)
			if r, ok := strings.CutPrefix(strings.ToLower(opts), "range="); ok {
				if err := gs.moreRanges(g, name, r); err != "" {
					g.err = err
				}
			}
		case "memberuid":
			g.memberUIDs = append(g.memberUIDs, at.Values...)
		}
	}
	// A posixGroup may be empty, but an empty one may also be a memberUid
	// the bind DN cannot read: one Compare tells them apart (see probe).
	if gs.c.Flavor != "ad" && len(g.memberUIDs) == 0 && ldapContainsFold(g.e.GetAttributeValues("objectClass"), "posixGroup") {
		_, err := gs.d.Compare(g.dn, "memberUid", "vigil-probe")
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchAttribute) {
			why := "a compare finds values the search does not show"
			if err != nil {
				why = err.Error()
			}
			g.err = fmt.Sprintf("the bind DN cannot read memberUid of %s (%s)", g.dn, why)
		}
	}
	// groupOfNames and groupOfUniqueNames must have a member (RFC 4519):
	// none in the answer means the bind DN may not read it, and an empty
	// list would pass every check.
	for oc, attr := range map[string]string{"groupOfNames": "member", "groupOfUniqueNames": "uniqueMember"} {
		if ldapContainsFold(g.e.GetAttributeValues("objectClass"), oc) && len(g.e.GetAttributeValues(attr)) == 0 && g.err == "" && !ldapHasRanged(g.e, attr) {
			g.err = fmt.Sprintf("%s is a %s but shows no %s, which that class requires: the bind DN cannot read its members", g.dn, oc, attr)
		}
	}
}

func ldapHasRanged(e *ldap.Entry, attr string) bool {
	for _, at := range e.Attributes {
		if strings.HasPrefix(strings.ToLower(at.Name), strings.ToLower(attr)+";range=") {
			return true
		}
	}
	return false
}

func (gs *ldapGroups) moreRanges(g *ldapGroup, attr, r string) string {
	for i := 0; i < 100000; i++ {
		_, hi, ok := strings.Cut(r, "-")
		if !ok {
			return fmt.Sprintf("%s of %s came in a range (%s) that cannot be read", attr, g.dn, r)
		}
		if hi == "*" {
			return ""
		}
		end, err := strconv.Atoi(hi)
		if err != nil {
			return fmt.Sprintf("%s of %s came in a range (%s) that cannot be read", attr, g.dn, r)
		}
		want := fmt.Sprintf("%s;range=%d-*", attr, end+1)
		res, err := gs.d.Search(ldap.NewSearchRequest(g.dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 30, false, "(objectClass=*)", []string{want}, nil))
		if err != nil || len(res.Entries) != 1 {
			return fmt.Sprintf("reading %s of %s from %d: %v", attr, g.dn, end+1, err)
		}
		r = ""
		for _, at := range res.Entries[0].Attributes {
			if name, opts, _ := strings.Cut(at.Name, ";"); strings.EqualFold(name, attr) {
				if rr, ok := strings.CutPrefix(strings.ToLower(opts), "range="); ok {
					for _, v := range at.Values {
						if v = ldapOptionalUID.ReplaceAllString(v, ""); strings.TrimSpace(v) != "" {
							g.members = append(g.members, v)
						}
					}
					r = rr
				}
			}
		}
		if r == "" {
			return fmt.Sprintf("%s of %s: the server gave no range from %d on, so its members cannot be listed completely", attr, g.dn, end+1)
		}
	}
	return fmt.Sprintf("%s of %s: too many ranges", attr, g.dn)
}

func (gs *ldapGroups) privileged() ([]any, error) {
	if err := gs.read(); err != nil {
		return nil, err
	}
	var out []any
	for _, want := range gs.c.PrivilegedGroups {
		p := map[string]any{"id": want}
		var g *ldapGroup
		if strings.Contains(want, "=") {
			g = gs.byKey[ldapDNKey(want)]
		} else if gg := gs.byCN[strings.ToLower(want)]; len(gg) > 1 {
			p["error"] = "more than one group is named " + want + ": give its DN"
			out = append(out, p)
			continue
		} else if len(gg) == 1 {
			g = gg[0]
		}
		if g == nil {
			p["error"] = "privileged group " + want + " was not found under " + gs.c.BaseDN + " with the group filter"
			out = append(out, p)
			continue
		}
		for k, v := range gs.expand(g) {
			p[k] = v
		}
		out = append(out, p)
	}
	return out, nil
}

// expand walks the group and its nested groups depth first. A group met
// again on the current path closes a cycle: it is reported and not walked
// again; one met again elsewhere (two paths to it) was already counted.
func (gs *ldapGroups) expand(root *ldapGroup) map[string]any {
	var (
		members, nested, cycles []any
		errs, status            []string
		seen                    = map[string]bool{}
		onPath                  = map[string]bool{}
		done                    = map[string]bool{}
	)
	name := func(g *ldapGroup) string {
		if g.cn != "" {
			return g.cn
		}
		return g.dn
	}
	add := func(key, dn string, u *ldapUser, via string) {
		if seen[key] {
			return
		}
		seen[key] = true
		m := map[string]any{"dn": dn, "uid": "", "known": false, "disabled": false, "disabled_reason": "", "lock": "", "via": via}
		if u != nil {
			m["dn"], m["uid"], m["known"] = u.dn, u.uid, true
			m["disabled"], m["disabled_reason"], m["lock"] = u.m["disabled"], u.m["disabled_reason"], u.m["lock"]
			if s, _ := u.m["status_error"].(string); s != "" {
				status = append(status, u.dn+": "+s)
			}
		}
		members = append(members, m)
	}
	var walk func(g *ldapGroup, path []string)
	walk = func(g *ldapGroup, path []string) {
		gs.load(g)
		if g.err != "" {
			errs = append(errs, g.err)
		}
		onPath[g.key] = true
		path = append(path, name(g))
		via := strings.Join(path, " > ")
		for _, dn := range g.members {
			k := ldapDNKey(dn)
			if sub := gs.byKey[k]; sub != nil {
				switch {
				case onPath[k]:
					cycles = append(cycles, via+" > "+name(sub))
				case !done[k]:
					nested = append(nested, sub.dn)
					walk(sub, path)
				}
				continue
			}
			add(k, dn, gs.acc.byDN[k], via)
		}
		for _, uid := range g.memberUIDs {
			if u := gs.acc.byUID[strings.ToLower(uid)]; u != nil {
				add(u.key, u.dn, u, via)
			} else {
				add("memberuid:"+strings.ToLower(uid), "memberUid "+uid, nil, via)
			}
		}
		if g.rid != "" {
			for _, u := range gs.primary[g.rid] {
				add(u.key, u.dn, u, via+" (primaryGroupID)")
			}
		}
		onPath[g.key] = false
		done[g.key] = true
	}
	walk(root, nil)
	sort.Slice(members, func(i, j int) bool {
		return members[i].(map[string]any)["dn"].(string) < members[j].(map[string]any)["dn"].(string)
	})
	out := map[string]any{"dn": root.dn, "members": kind.NonNil(members), "nested_groups": kind.NonNil(nested), "cycles": kind.NonNil(cycles), "status_error": ""}
	if len(status) > 0 {
		out["status_error"] = fmt.Sprintf("%d members cannot be judged: %s", len(status), strings.Join(ldapFirst(status, 3), "; "))
	}
	if len(errs) > 0 {
		// A group whose members could not all be read: its list is not
		// the group, so every check on it errors.
		out["error"] = strings.Join(ldapFirst(errs, 3), "; ")
	}
	return out
}

func ldapFirst(xs []string, n int) []string {
	if len(xs) > n {
		return append(xs[:n:n], fmt.Sprintf("and %d more", len(xs)-n))
	}
	return xs
}
