package ldap

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// How an account's state is read, per vendor, as each documents it:
//
// OpenLDAP, ppolicy overlay (slapo-ppolicy(5), checked against slapd 2.5):
//   - an entry's policy is the one its pwdPolicySubentry names, else the
//     overlay's ppolicy_default; with neither, or when the named policy
//     does not exist, no policy rule is enforced at all;
//   - pwdMaxAge 0 or absent: passwords never expire; an entry without
//     pwdChangedTime never expires either (ppolicy sets it only while
//     aging is in force, so a password set earlier keeps no date);
//   - pwdAccountLockedTime locks the account only when the policy has
//     pwdLockout TRUE (slapd binds the entry otherwise: an "administrative
//     lock" under such a policy locks nothing); 000001010000Z is the
//     permanent lock only an administrator lifts; another time is a lockout
//     after failed binds, lifted after pwdLockoutDuration, or never
//     (until an administrator resets it) when that is 0;
//   - pwdEndTime in the past refuses every bind while a policy applies.
//   - shadowExpire (RFC 2307) is enforced by PAM and NSS clients, not by
//     slapd; it is read as disabled, as those clients do.
//
// OpenLDAP, last bind: authTimestamp (slapo-lastbind(5), rewritten at most
// once per lastbind-precision) or pwdLastSuccess (slapd.conf "lastbind
// on", 2.5+).
//
// Active Directory: userAccountControl ACCOUNTDISABLE (0x2) and
// DONT_EXPIRE_PASSWORD (0x10000); accountExpires (FILETIME; 0 and 2^63-1
// mean never); lockoutTime with the domain's lockoutDuration (0: until an
// administrator unlocks); the maximum password age is the resultant
// fine-grained policy's msDS-MaximumPasswordAge (msDS-ResultantPSO), else
// the domain's maxPwdAge (0 or -2^63: never); lastLogonTimestamp is
// replicated and lags the real sign-in by up to 14 days (see
// last_logon_precision); whenCreated is the creation time.

const (
	ldapPPolicyControl   = "1.3.6.1.4.1.42.2.27.8.5.1" // listed in the root DSE while slapo-ppolicy is loaded
	ldapPermanentLock    = "000001010000Z"
	ldapUACDisabled      = 0x2
	ldapUACDontExpire    = 0x10000
	ldapFiletimeNever    = math.MaxInt64
	ldapFiletimeEpochGap = 11644473600 // seconds from 1601-01-01 to 1970-01-01
)

type ldapUser struct {
	dn, key, uid string
	e            *ldap.Entry
	m            map[string]any
	primaryGroup string // AD primaryGroupID, "" elsewhere
}

// ldapPPolicy is one pwdPolicy entry as read; err says why it is unknown.
type ldapPPolicy struct {
	dn              string
	none            bool // no policy applies: nothing is enforced
	err             string
	maxAge          int64
	lockout         bool
	lockoutDuration int64
}

type ldapAccounts struct {
	d   ldapDirectory
	c   *ldapConfig
	now time.Time

	users []*ldapUser
	byDN  map[string]*ldapUser
	byUID map[string]*ldapUser

	rootDSE *ldap.Entry
	// ppolicy: whether the overlay answers, the default policy's DN
	// ("" none) or why it is unknown, and the policies read so far.
	ppolicyLoaded bool
	defaultPolicy string
	defaultErr    string
	policies      map[string]*ldapPPolicy
	// Active Directory's domain policy.
	domainDN      string
	domainMaxAge  *int64
	domainLockout *int64
	domainErr     string
	psoErr        string
	unreadable    map[string]string // attribute => why the bind DN cannot read it
	passwordError string
	logonError    string
}

func (a *ldapAccounts) userAttrs() []string {
	attrs := []string{"uid", "sAMAccountName", "mail", "cn", "objectClass"}
	if a.c.Flavor == "ad" {
		// Active Directory returns operational and constructed attributes
		// only when named; msDS-ResultantPSO is computed per user.
		return append(attrs, "userAccountControl", "accountExpires", "lockoutTime", "lastLogonTimestamp",
			"whenCreated", "primaryGroupID", "msDS-ResultantPSO")
	}
	// OpenLDAP's ppolicy and lastbind attributes are operational: a
	// search returns them only when they are named.
	return append(attrs, "shadowExpire", "createTimestamp", "pwdPolicySubentry", "pwdChangedTime", "pwdAccountLockedTime",
		"pwdEndTime", a.c.LastLogonAttribute)
}

func (a *ldapAccounts) read() error {
	c := a.c
	if res, err := a.d.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 30, false, "(objectClass=*)",
		[]string{"supportedControl", "defaultNamingContext"}, nil)); err == nil && len(res.Entries) == 1 {
		a.rootDSE = res.Entries[0]
	}
	res, err := a.d.SearchWithPaging(ldap.NewSearchRequest(c.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, c.UserFilter,
		a.userAttrs(), nil), 500)
	if err != nil {
		return fmt.Errorf("searching users under %s: %v", c.BaseDN, err)
	}
	a.byDN, a.byUID = map[string]*ldapUser{}, map[string]*ldapUser{}
	for _, e := range res.Entries {
		uid := e.GetAttributeValue("uid")
		if uid == "" {
			uid = e.GetAttributeValue("sAMAccountName")
		}
		u := &ldapUser{dn: e.DN, key: ldapDNKey(e.DN), uid: uid, e: e}
		if c.Flavor == "ad" {
			u.primaryGroup = e.GetAttributeValue("primaryGroupID")
		}
		a.users = append(a.users, u)
		a.byDN[u.key] = u
		if uid != "" {
			// uid and sAMAccountName match case-insensitively.
			a.byUID[strings.ToLower(uid)] = u
		}
	}
	a.probe()
	if c.Flavor == "ad" {
		a.readDomain()
	} else {
		a.readPPolicy()
	}
	a.logonPresence()
	for _, u := range a.users {
		if c.Flavor == "ad" {
			u.m = a.adUser(u)
		} else {
			u.m = a.openldapUser(u)
		}
	}
	return nil
}

// probe: a search leaves out what the bind DN may not read, exactly as
// if it were absent (slapd's ACLs, AD's confidential attributes). For each
// attribute that decides a verdict by its absence, one Compare on an entry
// without it tells the two apart: "no such attribute" (16), or "undefined
// type" (17, the overlay is not loaded), means absent; anything else
// (insufficient access, or a value the search hid) means unreadable. ACLs
// that differ from entry to entry are not caught by one probe.
func (a *ldapAccounts) probe() {
	a.unreadable = map[string]string{}
	if a.c.Flavor == "ad" {
		return
	}
	for _, attr := range []string{"pwdPolicySubentry", "pwdAccountLockedTime", "pwdEndTime", a.c.LastLogonAttribute, "createTimestamp"} {
		for _, u := range a.users {
			if u.e.GetAttributeValue(attr) != "" {
				continue
			}
			value := "19700101000000Z"
			if attr == "pwdPolicySubentry" {
				value = "cn=vigil-probe"
			}
			_, err := a.d.Compare(u.dn, attr, value)
			if !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchAttribute) && !ldap.IsErrorWithCode(err, ldap.LDAPResultUndefinedAttributeType) {
				why := "a search does not show it where a compare finds it"
				if err != nil {
					why = err.Error()
				}
				a.unreadable[attr] = fmt.Sprintf("the bind DN cannot read %s (probed on %s: %s)", attr, u.dn, why)
			}
			break
		}
	}
}

// readPPolicy finds whether the overlay answers and which policy is the
// default.
func (a *ldapAccounts) readPPolicy() {
	a.ppolicyLoaded = a.rootDSE != nil && ldapContainsFold(a.rootDSE.GetAttributeValues("supportedControl"), ldapPPolicyControl)
	if !a.ppolicyLoaded {
		a.passwordError = "the ppolicy overlay does not answer: the root DSE lists no password policy control (" + ldapPPolicyControl +
			"), so pwdPolicySubentry, pwdMaxAge and pwdLockout cannot be read (load slapo-ppolicy, or let the bind DN read the root DSE)"
		return
	}
	if why := a.unreadable["pwdPolicySubentry"]; why != "" {
		a.passwordError = why
	}
	switch a.c.PPolicyDefault {
	case "none":
		return
	case "":
	default:
		a.defaultPolicy = a.c.PPolicyDefault
		return
	}
	// ppolicy_default is configuration, not data: it is in cn=config
	// (olcPPolicyDefault on the overlay of the database holding base_dn).
	res, err := a.d.Search(ldap.NewSearchRequest("cn=config", ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 30, false,
		"(|(objectClass=olcDatabaseConfig)(objectClass=olcPPolicyConfig))", []string{"objectClass", "olcSuffix", "olcPPolicyDefault"}, nil))
	if err != nil {
		a.defaultErr = fmt.Sprintf("the default policy (ppolicy_default) is unknown: cn=config cannot be read (%v); set ppolicy_default in the settings to its DN, or to none", err)
		return
	}
	base, dbDN, best := ldapDNKey(a.c.BaseDN), "", -1
	for _, e := range res.Entries {
		for _, s := range e.GetAttributeValues("olcSuffix") {
			if k := ldapDNKey(s); (base == k || strings.HasSuffix(base, ","+k) || k == "") && len(k) > best {
				dbDN, best = ldapDNKey(e.DN), len(k)
			}
		}
	}
	// The overlay on the database itself, else on the frontend (global
	// overlays apply to every database).
	for _, on := range []string{dbDN, "olcdatabase={-1}frontend,cn=config"} {
		for _, e := range res.Entries {
			if ldapContainsFold(e.GetAttributeValues("objectClass"), "olcPPolicyConfig") && ldapDNParent(ldapDNKey(e.DN)) == on {
				a.defaultPolicy = e.GetAttributeValue("olcPPolicyDefault")
				return
			}
		}
	}
	if dbDN == "" {
		a.defaultErr = "the default policy (ppolicy_default) is unknown: cn=config shows no database holding " + a.c.BaseDN + "; set ppolicy_default in the settings"
		return
	}
	// The overlay answers for another database, not this one.
	a.passwordError = "the ppolicy overlay is not configured on the database holding " + a.c.BaseDN + " (cn=config shows none): pwdMaxAge and pwdLockout are not enforced there"
}

// policy reads (once) the pwdPolicy entry at dn; "" is no policy.
func (a *ldapAccounts) policy(dn string) *ldapPPolicy {
	if dn == "" {
		return &ldapPPolicy{none: true}
	}
	k := ldapDNKey(dn)
	if p := a.policies[k]; p != nil {
		return p
	}
	p := &ldapPPolicy{dn: dn}
	a.policies[k] = p
	res, err := a.d.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 30, false, "(objectClass=*)",
		[]string{"objectClass", "pwdMaxAge", "pwdLockout", "pwdLockoutDuration"}, nil))
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) || (err == nil && len(res.Entries) == 0):
		// slapd enforces no rule for an entry whose policy does not exist,
		// but an ACL that hides the entry reads the same: unknown.
		p.err = "password policy " + dn + " does not exist or the bind DN cannot read it"
	case err != nil:
		p.err = fmt.Sprintf("reading password policy %s: %v", dn, err)
	case !ldapContainsFold(res.Entries[0].GetAttributeValues("objectClass"), "pwdPolicy"):
		p.err = "password policy " + dn + " is not a pwdPolicy entry (or the bind DN cannot read its objectClass)"
	default:
		e := res.Entries[0]
		p.maxAge, _ = strconv.ParseInt(e.GetAttributeValue("pwdMaxAge"), 10, 64)
		p.lockout = strings.EqualFold(e.GetAttributeValue("pwdLockout"), "TRUE")
		p.lockoutDuration, _ = strconv.ParseInt(e.GetAttributeValue("pwdLockoutDuration"), 10, 64)
	}
	return p
}

func (a *ldapAccounts) openldapUser(u *ldapUser) map[string]any {
	e := u.e
	m := ldapBaseUser(u)
	if v := e.GetAttributeValue("shadowExpire"); v != "" {
		if d, err := strconv.Atoi(v); err == nil && d >= 0 && int64(d) <= a.now.Unix()/86400 {
			m["disabled"], m["disabled_reason"] = true, "shadowExpire (day "+v+") has passed"
		}
	}
	a.logon(u, m, ldapParseGeneralizedTime(e.GetAttributeValue(a.c.LastLogonAttribute)), ldapParseGeneralizedTime(e.GetAttributeValue("createTimestamp")))
	if !a.ppolicyLoaded {
		// Without the overlay there is no lock and no expiry to read; the
		// password check errors on the input's password_error.
		return m
	}
	var p *ldapPPolicy
	policyErr := ""
	if s := e.GetAttributeValue("pwdPolicySubentry"); s != "" {
		p = a.policy(s)
	} else if why := a.unreadable["pwdPolicySubentry"]; why != "" {
		// Its own policy may be hidden: the default is not known to apply.
		policyErr = why
	} else if a.defaultErr != "" {
		policyErr = a.defaultErr
	} else {
		p = a.policy(a.defaultPolicy)
	}
	if p != nil && p.err != "" {
		policyErr = p.err
	}
	var status []string
	for _, attr := range []string{"pwdAccountLockedTime", "pwdEndTime"} {
		if why := a.unreadable[attr]; why != "" && e.GetAttributeValue(attr) == "" {
			status = append(status, why)
		}
	}
	if end := e.GetAttributeValue("pwdEndTime"); end != "" {
		if t := ldapParseGeneralizedTime(end); !t.ok {
			status = append(status, "pwdEndTime "+end+" is not a time")
		} else if !t.After(a.now) {
			switch {
			case policyErr != "":
				status = append(status, "pwdEndTime has passed, but whether a policy enforces it is unknown: "+policyErr)
			case !p.none:
				m["disabled"], m["disabled_reason"] = true, "pwdEndTime "+end+" has passed"
			}
		}
	}
	if locked := e.GetAttributeValue("pwdAccountLockedTime"); locked != "" {
		switch {
		case policyErr != "":
			status = append(status, "pwdAccountLockedTime is set, but whether the policy enforces it (pwdLockout) is unknown: "+policyErr)
		case p.none || !p.lockout:
			// slapd binds such an entry: the lock is written but not enforced.
			m["lock"] = "not_enforced"
		case locked == ldapPermanentLock:
			m["lock"] = "permanent"
			if m["disabled"] == false {
				m["disabled"], m["disabled_reason"] = true, "permanently locked (pwdAccountLockedTime "+ldapPermanentLock+")"
			}
		case p.lockoutDuration == 0:
			m["lock"] = "until_reset"
		default:
			if t := ldapParseGeneralizedTime(locked); !t.ok {
				status = append(status, "pwdAccountLockedTime "+locked+" is not a time")
			} else if a.now.Before(t.Add(time.Duration(p.lockoutDuration) * time.Second)) {
				m["lock"] = "temporary"
			}
		}
	}
	m["status_error"] = strings.Join(status, "; ")
	switch {
	case policyErr != "":
		m["password_error"] = policyErr
	case p.none:
		m["password_never_expires"], m["password_policy"] = true, "none (no pwdPolicySubentry and no ppolicy_default)"
	case p.maxAge <= 0:
		m["password_never_expires"], m["password_policy"] = true, p.dn+" (pwdMaxAge 0 or absent)"
	case e.GetAttributeValue("pwdChangedTime") == "":
		m["password_never_expires"], m["password_policy"] = true, p.dn+" (no pwdChangedTime: the password was set while no aging applied)"
	default:
		m["password_policy"] = p.dn
	}
	return m
}

// readDomain reads the domain's password and lockout policy, and the
// fine-grained password policies (PSOs) that override it.
func (a *ldapAccounts) readDomain() {
	a.domainDN = a.c.BaseDN
	if a.rootDSE != nil && a.rootDSE.GetAttributeValue("defaultNamingContext") != "" {
		a.domainDN = a.rootDSE.GetAttributeValue("defaultNamingContext")
	}
	res, err := a.d.Search(ldap.NewSearchRequest(a.domainDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 30, false, "(objectClass=*)",
		[]string{"maxPwdAge", "lockoutDuration"}, nil))
	switch {
	case err != nil || len(res.Entries) == 0 || res.Entries[0].GetAttributeValue("maxPwdAge") == "":
		a.domainErr = "the domain's maxPwdAge cannot be read at " + a.domainDN
		if err != nil {
			a.domainErr += ": " + err.Error()
		}
	default:
		e := res.Entries[0]
		if v, err := strconv.ParseInt(e.GetAttributeValue("maxPwdAge"), 10, 64); err == nil {
			a.domainMaxAge = &v
		} else {
			a.domainErr = "the domain's maxPwdAge is not a number: " + e.GetAttributeValue("maxPwdAge")
		}
		if v, err := strconv.ParseInt(e.GetAttributeValue("lockoutDuration"), 10, 64); err == nil {
			a.domainLockout = &v
		}
	}
	// msDS-ResultantPSO names the PSO in force for an account, but it is
	// readable only where the ACL allows, and hidden reads as absent, as if
	// the domain's policy applied. The PSOs themselves settle it: when none
	// exists, or each agrees with the domain on whether passwords expire,
	// the absence does not matter. The Password Settings Container must
	// be readable; a PSO hidden from the bind DN inside it still reads as
	// none, so the audit account needs read access to the container.
	cont := "CN=Password Settings Container,CN=System," + a.domainDN
	res, err = a.d.Search(ldap.NewSearchRequest(cont, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 30, false, "(objectClass=msDS-PasswordSettings)",
		[]string{"msDS-MaximumPasswordAge"}, nil))
	if err != nil {
		a.psoErr = fmt.Sprintf("the fine-grained password policies in %s cannot be read (%v), so whether one applies to an account without a readable msDS-ResultantPSO is unknown", cont, err)
		return
	}
	anyResultant := false
	for _, u := range a.users {
		anyResultant = anyResultant || u.e.GetAttributeValue("msDS-ResultantPSO") != ""
	}
	for _, e := range res.Entries {
		age, perr := a.psoMaxAge(e.DN)
		switch {
		case perr != "":
			a.psoErr = perr
		case a.domainMaxAge != nil && ldapADNever(age) != ldapADNever(*a.domainMaxAge) && !anyResultant:
			a.psoErr = "the fine-grained policy " + e.DN + " differs from the domain's on whether passwords expire, and no account shows msDS-ResultantPSO: the bind DN may not read it"
		}
	}
}

// ldapADNever: AD stores ages as negative 100 ns intervals; 0 and -2^63
// mean never.
func ldapADNever(v int64) bool { return v == 0 || v == math.MinInt64 }

func (a *ldapAccounts) adUser(u *ldapUser) map[string]any {
	e := u.e
	m := ldapBaseUser(u)
	a.logon(u, m, ldapParseFiletime(e.GetAttributeValue("lastLogonTimestamp")), ldapParseGeneralizedTime(e.GetAttributeValue("whenCreated")))
	raw := e.GetAttributeValue("userAccountControl")
	uac, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		// Every AD account has it: one we cannot read is unknown.
		m["status_error"] = "userAccountControl of " + u.dn + " cannot be read"
		m["password_error"] = m["status_error"]
		return m
	}
	if uac&ldapUACDisabled != 0 {
		m["disabled"], m["disabled_reason"] = true, "ACCOUNTDISABLE (userAccountControl)"
	} else if t := ldapParseFiletime(e.GetAttributeValue("accountExpires")); t.ok && !t.After(a.now) {
		m["disabled"], m["disabled_reason"] = true, "accountExpires has passed"
	}
	if t := ldapParseFiletime(e.GetAttributeValue("lockoutTime")); t.ok {
		switch {
		case a.domainLockout == nil:
			m["lock"] = "lockout"
		case *a.domainLockout == 0 || *a.domainLockout == math.MinInt64:
			m["lock"] = "until_reset"
		case a.now.Before(t.Add(time.Duration(-*a.domainLockout) * 100)):
			m["lock"] = "temporary"
		}
	}
	switch {
	case uac&ldapUACDontExpire != 0:
		m["password_never_expires"], m["password_policy"] = true, "DONT_EXPIRE_PASSWORD (userAccountControl)"
	case e.GetAttributeValue("msDS-ResultantPSO") != "":
		pso := e.GetAttributeValue("msDS-ResultantPSO")
		age, err := a.psoMaxAge(pso)
		if err != "" {
			m["password_error"] = err
		} else {
			m["password_never_expires"], m["password_policy"] = ldapADNever(age), pso+" (msDS-MaximumPasswordAge)"
		}
	case a.domainErr != "":
		m["password_error"] = a.domainErr
	case a.psoErr != "":
		m["password_error"] = a.psoErr
	default:
		m["password_never_expires"], m["password_policy"] = ldapADNever(*a.domainMaxAge), a.domainDN+" (maxPwdAge)"
	}
	return m
}

func (a *ldapAccounts) psoMaxAge(dn string) (int64, string) {
	k := "pso:" + ldapDNKey(dn)
	p := a.policies[k]
	if p == nil {
		p = &ldapPPolicy{dn: dn}
		a.policies[k] = p
		res, err := a.d.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 30, false, "(objectClass=*)",
			[]string{"msDS-MaximumPasswordAge"}, nil))
		if err != nil || len(res.Entries) == 0 || res.Entries[0].GetAttributeValue("msDS-MaximumPasswordAge") == "" {
			p.err = "msDS-MaximumPasswordAge of the password settings object " + dn + " cannot be read"
		} else if v, err := strconv.ParseInt(res.Entries[0].GetAttributeValue("msDS-MaximumPasswordAge"), 10, 64); err != nil {
			p.err = "msDS-MaximumPasswordAge of " + dn + " is not a number"
		} else {
			p.maxAge = v
		}
	}
	return p.maxAge, p.err
}

func ldapBaseUser(u *ldapUser) map[string]any {
	return map[string]any{"id": u.dn, "uid": u.uid, "mail": u.e.GetAttributeValue("mail"),
		"disabled": false, "disabled_reason": "", "lock": "", "status_error": "",
		"password_never_expires": false, "password_policy": "", "password_error": "",
		"last_logon": nil, "created": nil, "idle_days": nil, "age_days": nil, "logon_error": ""}
}

func (a *ldapAccounts) logon(u *ldapUser, m map[string]any, last, created ldapTime) {
	// idle_days is the least the account can have been unused: the time
	// since the recorded sign-in less the attribute's precision (lag);
	// age_days since creation. Computed here so that a check over 100,000
	// accounts stays within the engine's cost limit.
	now := a.now.Unix()
	if last.ok {
		m["last_logon"] = last.Unix()
		m["idle_days"] = (now - last.Unix() - *a.c.LastLogonPrecision) / 86400
	}
	if created.ok {
		m["created"] = created.Unix()
		m["age_days"] = (now - created.Unix()) / 86400
	}
	if !last.ok && !created.ok {
		m["logon_error"] = "neither " + a.c.LastLogonAttribute + " nor the creation time of " + u.dn + " can be read"
	}
	if why := a.unreadable["createTimestamp"]; why != "" && !last.ok {
		m["logon_error"] = why
	}
}

// logonPresence: an attribute no account holds means the mechanism that
// writes it is not there (or hidden): every account would read as never
// used, so it is an error naming it.
func (a *ldapAccounts) logonPresence() {
	attr := a.c.LastLogonAttribute
	if why := a.unreadable[attr]; why != "" {
		a.logonError = why
		return
	}
	for _, u := range a.users {
		if u.e.GetAttributeValue(attr) != "" {
			return
		}
	}
	if len(a.users) == 0 {
		return
	}
	a.logonError = "no account has " + attr + ": " + map[string]string{
		"authTimestamp":      "is the lastbind overlay (slapo-lastbind) loaded on this database, and may the bind DN read authTimestamp?",
		"pwdLastSuccess":     `is "lastbind on" set on this database (slapd 2.5 or later), and may the bind DN read pwdLastSuccess?`,
		"lastLogonTimestamp": "may the bind DN read lastLogonTimestamp (domain functional level 2003 or later)?",
	}[attr]
}

type ldapTime struct {
	time.Time
	ok bool
}

var ldapGeneralizedTime = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{4})$`)

// ldapParseGeneralizedTime reads RFC 4517 GeneralizedTime (slapd writes
// 20261207084956Z or with fractions, AD 20240101120000.0Z).
func ldapParseGeneralizedTime(s string) ldapTime {
	p := ldapGeneralizedTime.FindStringSubmatch(s)
	if p == nil {
		return ldapTime{}
	}
	n := func(i int) int { v, _ := strconv.Atoi(p[i]); return v }
	loc := time.UTC
	if z := p[8]; z != "Z" {
		hh, _ := strconv.Atoi(z[1:3])
		mm, _ := strconv.Atoi(z[3:5])
		off := (hh*60 + mm) * 60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	ns := 0
	if f := p[7]; f != "" {
		fv, _ := strconv.ParseFloat("0."+f, 64)
		ns = int(fv * 1e9)
	}
	t := time.Date(n(1), time.Month(n(2)), n(3), n(4), n(5), n(6), ns, loc).UTC()
	return ldapTime{t, true}
}

// ldapParseFiletime reads AD's FILETIME (100 ns since 1601); 0 and 2^63-1
// are "never".
func ldapParseFiletime(s string) ldapTime {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v == ldapFiletimeNever {
		return ldapTime{}
	}
	return ldapTime{time.Unix(v/1e7-ldapFiletimeEpochGap, (v%1e7)*100).UTC(), true}
}

// ldapDNKey normalizes a DN for comparison: attribute types and values
// compared case-insensitively (distinguishedNameMatch with the case-
// ignoring matching rules of cn, uid, ou, dc), spaces around separators
// and escapes as RFC 4514 allows. A DN that does not parse is compared
// lower-cased.
func ldapDNKey(s string) string {
	d, err := ldap.ParseDN(s)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(s))
	}
	var b strings.Builder
	for i, rdn := range d.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, av := range rdn.Attributes {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strings.ToLower(av.Type))
			b.WriteByte('=')
			b.WriteString(strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(av.Value, `\`, `\\`), ",", `\,`)))
		}
	}
	return b.String()
}

// ldapDNParent of a normalized DN.
func ldapDNParent(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] == '\\' {
			i++
			continue
		}
		if k[i] == ',' {
			return k[i+1:]
		}
	}
	return ""
}

func ldapContainsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
