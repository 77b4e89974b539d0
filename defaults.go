package vigil

// DefaultGraceDays is the grace an evidence request gets when its maker
// gives none: the days after a period ends before its evidence is overdue.
// The web form and `vigil requests add` both start from it, so that a
// request made either way is due on the same day.
const DefaultGraceDays = 14

// DefaultTokenDays is how long an API token made by a user lasts unless
// they say otherwise (0 is never). The Tokens page's form offers it and
// `vigil tokens create` defaults to it.
const DefaultTokenDays = 90
