//! Differential test of the prover against cedar-policy's Authorizer: random valid policy sets
//! over a small schema (every expression family SymCC encodes, templates and links, permits and
//! forbids, invariants), the deep rules and `diff` on them, and every decided verdict checked
//! on random valid requests and entity stores (and on every request the solver returned):
//!
//! - a "never" verdict — vacuous, unconditional, overridden, redundant, equivalent, allows-all,
//!   no may-error finding, an invariant that holds, an equivalent or one-directional diff — that
//!   some request contradicts is a bug, printed with the seed, the policies and the request;
//! - every counterexample and every diff example replays: the Authorizer decides it as the
//!   finding claims;
//! - unknown answers are counted per family, and a family that should be decided fails the
//!   test when one of its questions was not.
//!
//! `CEDARCHECK_DIFF_SEED` (a number) changes the seed, `CEDARCHECK_DIFF_ITERATIONS` the number
//! of policy sets, `CEDARCHECK_DIFF_SAMPLES` the random requests per environment, and
//! `CEDARCHECK_DIFF_ONLY=N` runs iteration N alone (as a failure names it).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::rc::Rc;
use std::str::FromStr;
use std::time::Instant;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, Policy, PolicySet, Request, Schema, SlotId,
    Template, ValidationMode, Validator,
};
use cedarcheck_analyzer::{check, Finding, PolicySetInput, Settings, SourceFile};
use cedarcheck_prover::diff::{diff, Change, DiffInput};
use cedarcheck_prover::{prove_set, CheckedSet, DeepOptions, LoadedPolicies};
use common::*;
use serde_json::{json, Value};

const SCHEMA: &str = r#"
namespace D {
  type Origin = { country: String, zone: Long };
  type Ctx = {
    mfa: Bool,
    vpn: Bool,
    amount: Long,
    delta: Long,
    rate: decimal,
    ip: ipaddr,
    now: datetime,
    elapsed: duration,
    key: String,
    note?: String,
    origin: Origin,
  };
  entity Group in [Group];
  entity User in [Group] {
    name: String,
    level: Long,
    roles: Set<String>,
    manager?: User,
    nickname?: String,
  };
  entity Service in [Group] { owner: User, level: Long };
  entity Doc in [Group] {
    owner: User,
    title: String,
    labels: Set<String>,
    readers: Set<Group>,
    size: Long,
    score: decimal,
    created: datetime,
  } tags String;
  action view appliesTo { principal: [User, Service], resource: [Doc], context: Ctx };
  action edit appliesTo { principal: [User], resource: [Doc], context: Ctx };
}
"#;

/// Per query. Queries take milliseconds; the 64-bit divisions of datetime conversions take
/// cvc5 1.0.3 up to seconds, and the machine may be busy.
const TIMEOUT_MS: u64 = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Family {
    Equality,
    Comparison,
    Arithmetic,
    Membership,
    IsType,
    HasAttribute,
    Records,
    IfThenElse,
    Boolean,
    Like,
    Sets,
    Tags,
    Decimal,
    Ipaddr,
    Datetime,
    Templates,
}

const FAMILIES: [Family; 16] = [
    Family::Equality,
    Family::Comparison,
    Family::Arithmetic,
    Family::Membership,
    Family::IsType,
    Family::HasAttribute,
    Family::Records,
    Family::IfThenElse,
    Family::Boolean,
    Family::Like,
    Family::Sets,
    Family::Tags,
    Family::Decimal,
    Family::Ipaddr,
    Family::Datetime,
    Family::Templates,
];

/// Families whose questions may stay undecided with cvc5 1.0.3: none (unbounded `toDate` and
/// `toTime` would be one, see the generator).
const MAY_BE_UNDECIDED: &[Family] = &[];

// ---------------------------------------------------------------------------------------------
// A tiny deterministic PRNG: splitmix64.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// Literal pools, shared by policies and requests so that they meet.

const STRINGS: &[&str] = &[
    "", "a", "b", "ab", "a*b", "*", "SVP", "VP", "SVPx", "xVP", "x.log", "app.log", "x.txt", "env",
    "prod", "dev", "team", "NL", "DE",
];
const PATTERNS: &[&str] = &[
    "*", "a*", "*b", "*VP*", "SVP*", "*VP", "a*b", "\\*", "a\\*b*", "*.log", "app*.log", "**", "",
    "a",
];
const POLICY_LONGS: &[i64] = &[0, 1, -1, 2, 3, 4, 5, 7, 10, 11, 100, i64::MAX, 1 << 62];
const VALUE_LONGS: &[i64] = &[
    0,
    1,
    -1,
    2,
    3,
    4,
    5,
    7,
    10,
    11,
    100,
    1000,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    1 << 62,
    -(1 << 62),
];
const DECIMALS: &[&str] = &[
    "0.0",
    "1.0",
    "1.2",
    "1.5",
    "1.50",
    "-1.0",
    "2.0",
    "1.9999",
    "922337203685477.5807",
    "-922337203685477.5808",
];
const IPS: &[&str] = &[
    "10.0.0.1",
    "10.1.2.3",
    "10.2.0.0",
    "192.168.1.1",
    "127.0.0.1",
    "::1",
    "224.0.0.1",
    "ff02::1",
    "10.0.0.0/8",
    "0.0.0.0",
    "::",
    "2001:db8::1",
];
const RANGES: &[&str] = &[
    "10.0.0.0/8",
    "10.1.0.0/16",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "224.0.0.0/4",
    "::1/128",
    "0.0.0.0/0",
    "10.0.0.1",
];
const DATETIMES: &[&str] = &[
    "1970-01-01",
    "2024-01-01",
    "2024-01-01T23:59:59.999Z",
    "2024-06-01T12:00:00Z",
    "2025-01-01",
    "1969-12-31T12:00:00Z",
    "2024-01-02",
];
const DURATIONS: &[&str] = &[
    "0ms",
    "1ms",
    "1s",
    "1m",
    "1h",
    "90m",
    "1d",
    "-1d",
    "2h30m",
    "9223372036854775807ms",
    "-9223372036854775807ms",
];
const GROUPS: &[&str] = &["a", "b", "c"];
const USERS: &[&str] = &["alice", "bob", "carol"];
const SERVICES: &[&str] = &["s1", "s2"];
const DOCS: &[&str] = &["d1", "d2"];
const TAG_KEYS: &[&str] = &["env", "team", "owner"];

/// A Cedar string literal (the pools hold no quotes; a pattern's `\*` stays as it is).
fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

// ---------------------------------------------------------------------------------------------
// Policies.

#[derive(Clone, Debug)]
struct Spec {
    id: String,
    forbid: bool,
    principal: String,
    action: String,
    resource: String,
    condition: String,
    families: BTreeSet<Family>,
    /// A template (its scope has slots; its links are in `Case::links`).
    template: bool,
}

impl Spec {
    fn text(&self) -> String {
        format!(
            "@id({})\n{} ({}, {}, {})\nwhen {{ {} }};\n",
            quoted(&self.id),
            if self.forbid { "forbid" } else { "permit" },
            self.principal,
            self.action,
            self.resource,
            self.condition
        )
    }
}

#[derive(Clone, Debug)]
struct Link {
    template: String,
    id: String,
    args: Vec<(&'static str, String)>,
}

fn links_json(links: &[Link]) -> String {
    let links: Vec<Value> = links
        .iter()
        .map(|l| {
            let args: serde_json::Map<String, Value> = l
                .args
                .iter()
                .map(|(slot, uid)| (slot.to_string(), Value::String(uid.clone())))
                .collect();
            json!({"template_id": l.template, "link_id": l.id, "args": args})
        })
        .collect();
    serde_json::to_string_pretty(&links).unwrap()
}

/// Builds random conditions, noting the families they use.
struct Gen<'r> {
    rng: &'r mut Rng,
    families: BTreeSet<Family>,
    /// The principal is a `D::User` wherever the policy applies: user attributes need no guard.
    user_only: bool,
}

impl Gen<'_> {
    fn use_(&mut self, family: Family) {
        self.families.insert(family);
    }

    fn string_lit(&mut self) -> String {
        quoted(self.rng.pick(STRINGS))
    }

    fn pattern(&mut self) -> String {
        quoted(self.rng.pick(PATTERNS))
    }

    fn long_lit(&mut self) -> String {
        self.rng.pick(POLICY_LONGS).to_string()
    }

    /// A string-valued expression that needs no guard.
    fn string(&mut self) -> String {
        match self.rng.below(5) {
            0 => self.string_lit(),
            1 => "resource.title".into(),
            2 => "context.key".into(),
            3 => {
                self.use_(Family::Records);
                "context.origin.country".into()
            }
            _ => "resource.title".into(),
        }
    }

    fn long(&mut self, depth: usize) -> String {
        let choice = if depth == 0 {
            self.rng.below(6)
        } else {
            self.rng.below(11)
        };
        match choice {
            0 => self.long_lit(),
            1 => "context.amount".into(),
            2 => "context.delta".into(),
            3 => "principal.level".into(),
            4 => "resource.size".into(),
            5 => {
                self.use_(Family::Records);
                "context.origin.zone".into()
            }
            6 => {
                self.use_(Family::Arithmetic);
                let (a, b) = (self.long(depth - 1), self.long(depth - 1));
                format!("({a} {} {b})", self.rng.pick(&["+", "-"]))
            }
            7 => {
                // Multiplication by a constant: a product of two variables is nonlinear, and
                // not what this test is about.
                self.use_(Family::Arithmetic);
                let (k, a) = (self.long_lit(), self.long(depth - 1));
                format!("({k} * {a})")
            }
            8 => {
                self.use_(Family::Arithmetic);
                format!("(-{})", self.long(depth - 1))
            }
            9 => {
                self.use_(Family::IfThenElse);
                let c = self.bool(depth - 1);
                let (a, b) = (self.long(depth - 1), self.long(depth - 1));
                format!("(if {c} then {a} else {b})")
            }
            _ => {
                self.use_(Family::Datetime);
                let unit = self.rng.pick(&[
                    "toMilliseconds",
                    "toSeconds",
                    "toMinutes",
                    "toHours",
                    "toDays",
                ]);
                format!("context.elapsed.{unit}()")
            }
        }
    }

    fn compare(&mut self) -> &'static str {
        self.rng.pick(&["<", "<=", ">", ">="])
    }

    fn group(&mut self) -> String {
        format!("D::Group::{}", quoted(self.rng.pick(GROUPS)))
    }

    fn decimal(&mut self) -> String {
        match self.rng.below(3) {
            0 => "context.rate".into(),
            1 => "resource.score".into(),
            _ => format!("decimal({})", quoted(self.rng.pick(DECIMALS))),
        }
    }

    fn ip(&mut self) -> String {
        if self.rng.chance(75) {
            "context.ip".into()
        } else {
            format!("ip({})", quoted(self.rng.pick(IPS)))
        }
    }

    fn datetime(&mut self) -> String {
        match self.rng.below(5) {
            0 => "context.now".into(),
            1 => "resource.created".into(),
            2 => format!("context.now.offset({})", self.duration(false)),
            _ => format!("datetime({})", quoted(self.rng.pick(DATETIMES))),
        }
    }

    fn duration(&mut self, since: bool) -> String {
        match self.rng.below(if since { 4 } else { 3 }) {
            0 => "context.elapsed".into(),
            1 | 2 => format!("duration({})", quoted(self.rng.pick(DURATIONS))),
            _ => format!(
                "context.now.durationSince(datetime({}))",
                quoted(self.rng.pick(DATETIMES))
            ),
        }
    }

    /// `atom` for the principal's user-only attributes: guarded where the principal may be a
    /// service.
    fn user(&mut self, atom: String) -> String {
        if self.user_only {
            atom
        } else {
            self.use_(Family::IsType);
            format!("(principal is D::User && {atom})")
        }
    }

    fn atom(&mut self, family: Family, depth: usize) -> String {
        self.use_(family);
        match family {
            Family::Equality => {
                let op = self.rng.pick(&["==", "!="]);
                match self.rng.below(5) {
                    0 => format!("{} {op} {}", self.string(), self.string()),
                    1 => format!("{} {op} {}", self.long(0), self.long(0)),
                    2 => format!("resource.owner {op} principal"),
                    3 => format!(
                        "principal {op} D::User::{}",
                        quoted(self.rng.pick(USERS))
                    ),
                    _ => format!("context.mfa {op} context.vpn"),
                }
            }
            Family::Comparison => {
                let op = self.compare();
                format!("{} {op} {}", self.long(0), self.long(0))
            }
            Family::Arithmetic => {
                let op = self.compare();
                let a = self.long(1);
                let b = self.long(0);
                // Make sure the left side is arithmetic.
                let a = if a.starts_with('(') {
                    a
                } else {
                    format!("({a} + {})", self.long_lit())
                };
                format!("{a} {op} {b}")
            }
            Family::Membership => match self.rng.below(6) {
                0 => format!("principal in {}", self.group()),
                1 => format!("principal in [{}, {}]", self.group(), self.group()),
                2 => format!("resource in {}", self.group()),
                3 => "principal in resource.readers".into(),
                4 => format!("resource.owner in {}", self.group()),
                _ => format!("{} in {}", self.group(), self.group()),
            },
            Family::IsType => match self.rng.below(3) {
                0 => "principal is D::User".into(),
                1 => "principal is D::Service".into(),
                _ => format!("principal is D::User in {}", self.group()),
            },
            Family::HasAttribute => match self.rng.below(6) {
                0 => "context has note".into(),
                1 => format!("(context has note && context.note == {})", self.string()),
                2 => format!("(context has note && context.note like {})", self.pattern()),
                3 => self.user("principal has nickname".into()),
                4 => {
                    let (op, l) = (self.compare(), self.long(0));
                    self.user(format!(
                        "(principal has manager && principal.manager.level {op} {l})"
                    ))
                }
                _ => self.user(
                    "(principal has manager && principal.manager == resource.owner)".into(),
                ),
            },
            Family::Records => {
                let op = self.rng.pick(&["==", "!="]);
                match self.rng.below(4) {
                    0 => format!(
                        "context.origin {op} {{\"country\": {}, \"zone\": {}}}",
                        self.string_lit(),
                        self.long_lit()
                    ),
                    1 => format!("context.origin.zone {} {}", self.compare(), self.long(0)),
                    2 => format!(
                        "{{\"a\": {}, \"b\": {}}}.a {} {}",
                        self.long(0),
                        self.string(),
                        self.compare(),
                        self.long(0)
                    ),
                    _ => format!(
                        "{{\"c\": context.origin.country, \"z\": context.origin.zone}} {op} {{\"c\": {}, \"z\": {}}}",
                        self.string(),
                        self.long(0)
                    ),
                }
            }
            Family::IfThenElse => {
                let c = self.bool(depth.saturating_sub(1));
                if self.rng.chance(50) {
                    let (a, b) = (self.long(0), self.long(0));
                    format!(
                        "(if {c} then {a} else {b}) {} {}",
                        self.compare(),
                        self.long(0)
                    )
                } else {
                    let (a, b) = (
                        self.bool(depth.saturating_sub(1)),
                        self.bool(depth.saturating_sub(1)),
                    );
                    format!("(if {c} then {a} else {b})")
                }
            }
            Family::Boolean => {
                let d = depth.saturating_sub(1);
                match self.rng.below(3) {
                    0 => format!("({} && {})", self.bool(d), self.bool(d)),
                    1 => format!("({} || {})", self.bool(d), self.bool(d)),
                    _ => format!("!({})", self.bool(d)),
                }
            }
            Family::Like => {
                let subject = if self.user_only && self.rng.chance(25) {
                    "principal.name".to_string()
                } else {
                    self.string()
                };
                format!("{subject} like {}", self.pattern())
            }
            Family::Sets => {
                let literal = |g: &mut Self| match g.rng.below(3) {
                    0 => format!("[{}]", g.string_lit()),
                    1 => format!("[{}, {}]", g.string_lit(), g.string_lit()),
                    _ => format!("[context.key, {}]", g.string_lit()),
                };
                match self.rng.below(7) {
                    0 => format!("resource.labels.contains({})", self.string()),
                    1 => format!("resource.labels.containsAll({})", literal(self)),
                    2 => format!("resource.labels.containsAny({})", literal(self)),
                    3 => "resource.labels.isEmpty()".into(),
                    4 => self.user("principal.roles.containsAll(resource.labels)".into()),
                    5 => format!("{}.contains(resource.title)", literal(self)),
                    _ => format!("resource.readers.contains({})", self.group()),
                }
            }
            Family::Tags => {
                let key = if self.rng.chance(40) {
                    "context.key".to_string()
                } else {
                    quoted(self.rng.pick(TAG_KEYS))
                };
                match self.rng.below(3) {
                    0 => format!("resource.hasTag({key})"),
                    1 => format!(
                        "(resource.hasTag({key}) && resource.getTag({key}) == {})",
                        self.string()
                    ),
                    _ => format!(
                        "(resource.hasTag({key}) && resource.getTag({key}) like {})",
                        self.pattern()
                    ),
                }
            }
            Family::Decimal => {
                let (a, b) = (self.decimal(), self.decimal());
                if self.rng.chance(20) {
                    format!("{a} == {b}")
                } else {
                    let method = self.rng.pick(&[
                        "lessThan",
                        "lessThanOrEqual",
                        "greaterThan",
                        "greaterThanOrEqual",
                    ]);
                    format!("{a}.{method}({b})")
                }
            }
            Family::Ipaddr => {
                let ip = self.ip();
                match self.rng.below(6) {
                    0 => format!("{ip}.isInRange(ip({}))", quoted(self.rng.pick(RANGES))),
                    1 => format!("{ip}.isIpv4()"),
                    2 => format!("{ip}.isIpv6()"),
                    3 => format!("{ip}.isLoopback()"),
                    4 => format!("{ip}.isMulticast()"),
                    _ => format!("{ip} == ip({})", quoted(self.rng.pick(IPS))),
                }
            }
            Family::Datetime => match self.rng.below(6) {
                0 | 1 => format!("{} {} {}", self.datetime(), self.compare(), self.datetime()),
                2 => format!(
                    "{} {} {}",
                    self.duration(true),
                    self.compare(),
                    self.duration(false)
                ),
                3 => format!("{} {} {}", self.long(0), self.compare(), {
                    let unit = self.rng.pick(&[
                        "toMilliseconds",
                        "toSeconds",
                        "toMinutes",
                        "toHours",
                        "toDays",
                    ]);
                    format!("context.elapsed.{unit}()")
                }),
                // `toDate` and `toTime` over a bounded range: over all 64-bit datetimes cvc5
                // 1.0.3 needs 5-15 s to refute some of their 64-bit divisions.
                4 => format!(
                    "(context.now >= datetime(\"2024-01-01\") && context.now < datetime(\"2025-01-01\") && context.now.toDate() {} {})",
                    self.compare(),
                    self.datetime()
                ),
                _ => format!(
                    "(context.now >= datetime(\"2024-01-01\") && context.now < datetime(\"2025-01-01\") && context.now.toTime() {} duration({}))",
                    self.compare(),
                    quoted(self.rng.pick(DURATIONS))
                ),
            },
            Family::Templates => "true".into(),
        }
    }

    fn bool(&mut self, depth: usize) -> String {
        if depth > 0 && self.rng.chance(30) {
            return self.atom(Family::Boolean, depth);
        }
        let family = self.rng.pick(&FAMILIES[..15]);
        self.atom(family, depth)
    }

    /// A condition that uses `focus`, maybe with more around it.
    fn condition(&mut self, focus: Family) -> String {
        let focus = if focus == Family::Templates {
            self.rng.pick(&FAMILIES[..15])
        } else {
            focus
        };
        let core = self.atom(focus, 2);
        match self.rng.below(5) {
            0 => {
                self.use_(Family::Boolean);
                format!("{core} && {}", self.bool(1))
            }
            1 => {
                self.use_(Family::Boolean);
                format!("{core} || {}", self.bool(1))
            }
            2 => {
                self.use_(Family::Boolean);
                format!("!({core})")
            }
            _ => core,
        }
    }
}

/// The scope: (principal, action, resource, the principal is always a user).
fn scope(rng: &mut Rng) -> (String, String, String, bool) {
    let (principal, p_user) = match rng.below(7) {
        0 | 1 => ("principal".to_string(), false),
        2 => ("principal is D::User".to_string(), true),
        3 => ("principal is D::Service".to_string(), false),
        4 => (
            format!("principal in D::Group::{}", quoted(rng.pick(GROUPS))),
            false,
        ),
        5 => (
            format!("principal == D::User::{}", quoted(rng.pick(USERS))),
            true,
        ),
        _ => (
            format!(
                "principal is D::User in D::Group::{}",
                quoted(rng.pick(GROUPS))
            ),
            true,
        ),
    };
    let (action, a_user) = match rng.below(4) {
        0 => ("action".to_string(), false),
        1 => ("action == D::Action::\"view\"".to_string(), false),
        2 => ("action == D::Action::\"edit\"".to_string(), true),
        _ => (
            "action in [D::Action::\"view\", D::Action::\"edit\"]".to_string(),
            false,
        ),
    };
    let resource = match rng.below(4) {
        0 | 1 => "resource".to_string(),
        2 => format!("resource in D::Group::{}", quoted(rng.pick(GROUPS))),
        _ => format!("resource == D::Doc::{}", quoted(rng.pick(DOCS))),
    };
    (principal, action, resource, p_user || a_user)
}

/// Whether the policy (or template) validates strictly and can apply somewhere.
fn valid(schema: &Schema, spec: &Spec) -> bool {
    let Ok(set) = PolicySet::from_str(&spec.text()) else {
        return false;
    };
    let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
    result.validation_passed()
        && !result
            .validation_warnings()
            .any(|w| matches!(w, cedar_policy::ValidationWarning::ImpossiblePolicy(_)))
}

fn random_spec(rng: &mut Rng, schema: &Schema, id: String, focus: Family, forbid: bool) -> Spec {
    for _ in 0..200 {
        let (principal, action, resource, user_only) = scope(rng);
        let mut gen = Gen {
            rng,
            families: BTreeSet::new(),
            user_only,
        };
        let condition = gen.condition(focus);
        let spec = Spec {
            id: id.clone(),
            forbid,
            principal,
            action,
            resource,
            condition,
            families: gen.families,
            template: false,
        };
        if valid(schema, &spec) {
            return spec;
        }
    }
    panic!("no valid policy for {focus:?} in 200 tries: the generator is broken");
}

/// A policy that overlaps `base`: the same, narrower or wider, never or always — material for
/// redundant, overridden, equivalent, vacuous and unconditional verdicts.
fn derived_spec(rng: &mut Rng, schema: &Schema, base: &Spec, id: String, forbid: bool) -> Spec {
    for _ in 0..50 {
        let mut spec = base.clone();
        spec.id = id.clone();
        spec.forbid = forbid;
        let mut gen = Gen {
            rng,
            families: BTreeSet::new(),
            user_only: false,
        };
        match gen.rng.below(5) {
            0 => {}
            1 => {
                let extra = gen.bool(1);
                spec.condition = format!("({}) && {extra}", base.condition);
            }
            2 => {
                let extra = gen.bool(1);
                spec.condition = format!("({}) || {extra}", base.condition);
            }
            // A contradiction and a tautology (unless the condition can error) in the
            // condition's own families.
            3 => spec.condition = format!("({0}) && !({0})", base.condition),
            _ => {
                spec.condition = format!("({0}) || !({0})", base.condition);
                if gen.rng.chance(50) {
                    spec.principal = "principal".into();
                    spec.resource = "resource".into();
                }
            }
        }
        spec.families.extend(gen.families);
        if valid(schema, &spec) {
            return spec;
        }
    }
    let mut spec = base.clone();
    spec.id = id;
    spec.forbid = forbid;
    spec
}

fn random_template(rng: &mut Rng, schema: &Schema, id: String, focus: Family) -> Spec {
    for _ in 0..200 {
        let principal = if rng.chance(50) {
            "principal == ?principal"
        } else {
            "principal in ?principal"
        };
        let resource = if rng.chance(60) {
            "resource in ?resource"
        } else {
            "resource"
        };
        let action = rng
            .pick(&[
                "action",
                "action == D::Action::\"view\"",
                "action == D::Action::\"edit\"",
            ])
            .to_string();
        let mut gen = Gen {
            rng,
            families: BTreeSet::from([Family::Templates]),
            user_only: false,
        };
        let condition = gen.condition(focus);
        let spec = Spec {
            id: id.clone(),
            forbid: gen.rng.chance(30),
            principal: principal.into(),
            action,
            resource: resource.into(),
            condition,
            families: gen.families,
            template: true,
        };
        if valid(schema, &spec) {
            return spec;
        }
    }
    panic!("no valid template in 200 tries: the generator is broken");
}

fn random_link(rng: &mut Rng, template: &Spec, id: String) -> Link {
    let mut args = Vec::new();
    if template.principal.contains("?principal") {
        let uid = if template.principal.starts_with("principal ==") || rng.chance(50) {
            format!("D::User::{}", quoted(rng.pick(USERS)))
        } else {
            format!("D::Group::{}", quoted(rng.pick(GROUPS)))
        };
        args.push(("?principal", uid));
    }
    if template.resource.contains("?resource") {
        let uid = if rng.chance(50) {
            format!("D::Doc::{}", quoted(rng.pick(DOCS)))
        } else {
            format!("D::Group::{}", quoted(rng.pick(GROUPS)))
        };
        args.push(("?resource", uid));
    }
    Link {
        template: template.id.clone(),
        id,
        args,
    }
}

/// One side of a test: policies (and templates), links and invariants.
#[derive(Clone, Debug)]
struct Case {
    policies: Vec<Spec>,
    links: Vec<Link>,
    invariants: Vec<Spec>,
}

impl Case {
    fn policies_text(&self) -> String {
        self.policies
            .iter()
            .map(Spec::text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn invariants_text(&self) -> String {
        self.invariants
            .iter()
            .map(Spec::text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn input(&self, schema: &SourceFile) -> PolicySetInput {
        PolicySetInput {
            policies: vec![SourceFile::new("policies.cedar", self.policies_text())],
            schema: Some(schema.clone()),
            links: if self.links.is_empty() {
                vec![]
            } else {
                vec![SourceFile::new("links.json", links_json(&self.links))]
            },
        }
    }

    /// The families of a policy or link (by id).
    fn families_of(&self, id: &str) -> BTreeSet<Family> {
        if let Some(spec) = self
            .policies
            .iter()
            .chain(&self.invariants)
            .find(|s| s.id == id)
        {
            return spec.families.clone();
        }
        match self.links.iter().find(|l| l.id == id) {
            Some(link) => self.families_of(&link.template),
            None => BTreeSet::new(),
        }
    }

    fn all_families(&self) -> BTreeSet<Family> {
        self.policies
            .iter()
            .chain(&self.invariants)
            .flat_map(|s| s.families.iter().copied())
            .collect()
    }

    fn describe(&self) -> String {
        let mut out = format!("--- policies.cedar\n{}", self.policies_text());
        if !self.links.is_empty() {
            let _ = write!(out, "--- links.json\n{}\n", links_json(&self.links));
        }
        if !self.invariants.is_empty() {
            let _ = write!(out, "--- invariants.cedar\n{}", self.invariants_text());
        }
        out
    }
}

fn random_case(rng: &mut Rng, schema: &Schema, focus: Family) -> Case {
    let mut policies: Vec<Spec> = Vec::new();
    let count = 3 + rng.below(4);
    for i in 0..count {
        let id = format!("p{i}");
        let forbid = rng.chance(30);
        let spec = if i > 0 && rng.chance(35) {
            let base = policies[rng.below(policies.len())].clone();
            derived_spec(rng, schema, &base, id, forbid)
        } else {
            let family = if rng.chance(70) {
                focus
            } else {
                rng.pick(&FAMILIES)
            };
            random_spec(rng, schema, id, family, forbid)
        };
        policies.push(spec);
    }
    let mut links = Vec::new();
    if focus == Family::Templates || rng.chance(30) {
        let family = if focus == Family::Templates {
            rng.pick(&FAMILIES[..15])
        } else {
            focus
        };
        let template = random_template(rng, schema, "t0".into(), family);
        for j in 0..1 + rng.below(3) {
            links.push(random_link(rng, &template, format!("t0-link{j}")));
        }
        policies.push(template);
    }
    let invariants = (0..1 + rng.below(2))
        .map(|i| {
            let forbid = rng.chance(60);
            let family = if rng.chance(60) {
                focus
            } else {
                rng.pick(&FAMILIES)
            };
            random_spec(rng, schema, format!("inv{i}"), family, forbid)
        })
        .collect();
    Case {
        policies,
        links,
        invariants,
    }
}

/// The new side of a diff: one to three edits of the old one.
fn mutate(rng: &mut Rng, schema: &Schema, old: &Case, focus: Family) -> Case {
    let mut new = old.clone();
    new.invariants.clear();
    for _ in 0..1 + rng.below(2) {
        let statics: Vec<usize> = (0..new.policies.len())
            .filter(|&i| !new.policies[i].template)
            .collect();
        match rng.below(6) {
            // Another condition of the same family.
            0 | 1 if !statics.is_empty() => {
                let i = rng.pick(&statics);
                let spec = &new.policies[i];
                let fresh = random_spec(rng, schema, spec.id.clone(), focus, spec.forbid);
                new.policies[i] = fresh;
            }
            // Narrower or wider.
            2 if !statics.is_empty() => {
                let i = rng.pick(&statics);
                let base = new.policies[i].clone();
                new.policies[i] = derived_spec(rng, schema, &base, base.id.clone(), base.forbid);
            }
            3 if statics.len() > 1 => {
                let i = rng.pick(&statics);
                new.policies.remove(i);
            }
            4 if !new.links.is_empty() => {
                let template = new.policies.iter().find(|s| s.template).cloned().unwrap();
                let i = rng.below(new.links.len());
                let id = new.links[i].id.clone();
                new.links[i] = random_link(rng, &template, id);
            }
            _ => {
                let id = format!("n{}", new.policies.len());
                let forbid = rng.chance(30);
                let spec = random_spec(rng, schema, id, focus, forbid);
                new.policies.push(spec);
            }
        }
    }
    new
}

// ---------------------------------------------------------------------------------------------
// Requests.

fn uid_json(ty: &str, id: &str) -> Value {
    json!({"__entity": {"type": ty, "id": id}})
}

fn extn(f: &str, arg: &str) -> Value {
    json!({"__extn": {"fn": f, "arg": arg}})
}

fn random_string(rng: &mut Rng) -> Value {
    Value::String(rng.pick(STRINGS).to_string())
}

fn random_strings(rng: &mut Rng) -> Value {
    Value::Array((0..rng.below(3)).map(|_| random_string(rng)).collect())
}

/// A random entity store (as JSON) over the pools' names.
fn random_entities(rng: &mut Rng) -> Vec<Value> {
    let mut entities = Vec::new();
    let parents = |rng: &mut Rng, from: usize| -> Vec<Value> {
        GROUPS[from..]
            .iter()
            .filter(|_| rng.chance(35))
            .map(|g| json!({"type": "D::Group", "id": g}))
            .collect()
    };
    for (i, g) in GROUPS.iter().enumerate() {
        let parents = parents(rng, i + 1);
        entities
            .push(json!({"uid": {"type": "D::Group", "id": g}, "attrs": {}, "parents": parents}));
    }
    for u in USERS {
        let mut attrs = serde_json::Map::new();
        attrs.insert("name".into(), random_string(rng));
        attrs.insert("level".into(), json!(rng.pick(VALUE_LONGS)));
        attrs.insert("roles".into(), random_strings(rng));
        if rng.chance(50) {
            attrs.insert("manager".into(), uid_json("D::User", rng.pick(USERS)));
        }
        if rng.chance(50) {
            attrs.insert("nickname".into(), random_string(rng));
        }
        let parents = parents(rng, 0);
        entities
            .push(json!({"uid": {"type": "D::User", "id": u}, "attrs": attrs, "parents": parents}));
    }
    for s in SERVICES {
        let attrs =
            json!({"owner": uid_json("D::User", rng.pick(USERS)), "level": rng.pick(VALUE_LONGS)});
        let parents = parents(rng, 0);
        entities.push(
            json!({"uid": {"type": "D::Service", "id": s}, "attrs": attrs, "parents": parents}),
        );
    }
    for d in DOCS {
        let readers: Vec<Value> = GROUPS
            .iter()
            .filter(|_| rng.chance(40))
            .map(|g| uid_json("D::Group", g))
            .collect();
        let attrs = json!({
            "owner": uid_json("D::User", rng.pick(USERS)),
            "title": random_string(rng),
            "labels": random_strings(rng),
            "readers": readers,
            "size": rng.pick(VALUE_LONGS),
            "score": extn("decimal", rng.pick(DECIMALS)),
            "created": extn("datetime", rng.pick(DATETIMES)),
        });
        let mut tags = serde_json::Map::new();
        for key in TAG_KEYS.iter().chain(STRINGS.iter().take(3)) {
            if rng.chance(40) {
                tags.insert(key.to_string(), random_string(rng));
            }
        }
        let parents = parents(rng, 0);
        entities.push(json!({"uid": {"type": "D::Doc", "id": d}, "attrs": attrs, "parents": parents, "tags": tags}));
    }
    entities
}

fn random_context(rng: &mut Rng) -> Value {
    let key = if rng.chance(50) {
        Value::String(rng.pick(TAG_KEYS).to_string())
    } else {
        random_string(rng)
    };
    let mut context = json!({
        "mfa": rng.chance(50),
        "vpn": rng.chance(50),
        "amount": rng.pick(VALUE_LONGS),
        "delta": rng.pick(VALUE_LONGS),
        "rate": extn("decimal", rng.pick(DECIMALS)),
        "ip": extn("ip", rng.pick(IPS)),
        "now": extn("datetime", rng.pick(DATETIMES)),
        "elapsed": extn("duration", rng.pick(DURATIONS)),
        "key": key,
        "origin": {"country": random_string(rng), "zone": rng.pick(VALUE_LONGS)},
    });
    if rng.chance(50) {
        context["note"] = random_string(rng);
    }
    context
}

/// A request with its entities, loaded against the schema. Loading an entity store is the
/// slow part, so several requests share one.
struct Sample {
    env: String,
    request_json: Value,
    entities_json: Rc<Value>,
    request: Request,
    entities: Rc<Entities>,
}

impl Sample {
    /// As a `run-tests` entry, to print.
    fn case(&self) -> Value {
        json!({"request": self.request_json, "entities": *self.entities_json})
    }
}

fn load_request(
    request_json: Value,
    entities_json: Rc<Value>,
    entities: Rc<Entities>,
    schema: &Schema,
) -> Option<Sample> {
    let uid = |k: &str| EntityUid::from_str(request_json[k].as_str()?).ok();
    let (principal, action, resource) = (uid("principal")?, uid("action")?, uid("resource")?);
    let context =
        Context::from_json_value(request_json["context"].clone(), Some((schema, &action))).ok()?;
    let env = format!(
        "({}, {}, {})",
        principal.type_name(),
        action,
        resource.type_name()
    );
    let request = Request::new(principal, action, resource, context, Some(schema)).ok()?;
    Some(Sample {
        env,
        request_json,
        entities_json,
        request,
        entities,
    })
}

/// A `run-tests` entry (a counterexample, a diff example) as a sample.
fn load_sample(case: &Value, schema: &Schema) -> Option<Sample> {
    let entities = Entities::from_json_value(case["entities"].clone(), Some(schema)).ok()?;
    load_request(
        case["request"].clone(),
        Rc::new(case["entities"].clone()),
        Rc::new(entities),
        schema,
    )
}

/// Random requests of one environment (principal type, action) on random entity stores.
fn random_samples(
    rng: &mut Rng,
    schema: &Schema,
    env: &(String, String),
    count: usize,
) -> Vec<Sample> {
    const PER_STORE: usize = 4;
    let (principal_type, action) = env;
    let mut samples = Vec::new();
    for _ in 0..count.div_ceil(PER_STORE) {
        let entities_json = Value::Array(random_entities(rng));
        let entities = Entities::from_json_value(entities_json.clone(), Some(schema))
            .unwrap_or_else(|e| {
                panic!("a random entity store does not load: {e}\n{entities_json}")
            });
        let (entities_json, entities) = (Rc::new(entities_json), Rc::new(entities));
        for _ in 0..PER_STORE {
            let principal = match principal_type.as_str() {
                "D::User" => format!("D::User::{}", quoted(rng.pick(USERS))),
                _ => format!("D::Service::{}", quoted(rng.pick(SERVICES))),
            };
            let request = json!({
                "principal": principal,
                "action": format!("D::Action::{}", quoted(action)),
                "resource": format!("D::Doc::{}", quoted(rng.pick(DOCS))),
                "context": random_context(rng),
            });
            match load_request(
                request.clone(),
                entities_json.clone(),
                entities.clone(),
                schema,
            ) {
                Some(sample) => samples.push(sample),
                None => panic!("a random request does not load: {request}"),
            }
        }
    }
    samples
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

struct Outcome {
    decision: Decision,
    reasons: Vec<String>,
    errors: Vec<String>,
}

fn authorize(set: &PolicySet, sample: &Sample) -> Outcome {
    let response = Authorizer::new().is_authorized(&sample.request, set, &sample.entities);
    let mut reasons: Vec<String> = response
        .diagnostics()
        .reason()
        .map(ToString::to_string)
        .collect();
    reasons.sort();
    let mut errors: Vec<String> = response
        .diagnostics()
        .errors()
        .map(|cedar_policy::AuthorizationError::PolicyEvaluationError(e)| e.policy_id().to_string())
        .collect();
    errors.sort();
    Outcome {
        decision: response.decision(),
        reasons,
        errors,
    }
}

/// What one request does with a policy set: its decision, and which of its policies match
/// and which error.
struct Evaluated {
    decision: Decision,
    matched: BTreeSet<String>,
    errored: BTreeSet<String>,
}

/// A case's policies as cedar-policy loads them, independently of cedarcheck: the set as
/// written, and the same with every policy a permit, whose reasons are the policies that
/// match and whose errors are those that error.
struct Truth {
    set: PolicySet,
    permits: PolicySet,
    forbid: BTreeMap<String, bool>,
    /// Where each policy applies.
    envs: BTreeMap<String, BTreeSet<String>>,
}

impl Truth {
    fn new(specs: &[Spec], links: &[Link], schema: &Schema) -> Self {
        let build = |as_permits: bool| -> PolicySet {
            let mut set = PolicySet::new();
            for spec in specs {
                let mut spec = spec.clone();
                spec.forbid &= !as_permits;
                let id = cedar_policy::PolicyId::new(&spec.id);
                if spec.template {
                    set.add_template(Template::parse(Some(id), spec.text()).unwrap())
                        .unwrap();
                } else {
                    set.add(Policy::parse(Some(id), spec.text()).unwrap())
                        .unwrap();
                }
            }
            for link in links {
                let args: HashMap<SlotId, EntityUid> = link
                    .args
                    .iter()
                    .map(|(slot, uid)| {
                        let slot = if *slot == "?principal" {
                            SlotId::principal()
                        } else {
                            SlotId::resource()
                        };
                        (slot, EntityUid::from_str(uid).unwrap())
                    })
                    .collect();
                set.link(
                    cedar_policy::PolicyId::new(&link.template),
                    cedar_policy::PolicyId::new(&link.id),
                    args,
                )
                .unwrap();
            }
            set
        };
        let set = build(false);
        let mut forbid = BTreeMap::new();
        let mut envs = BTreeMap::new();
        for policy in set.policies() {
            let id = policy.id().to_string();
            forbid.insert(id.clone(), policy.effect() == cedar_policy::Effect::Forbid);
            envs.insert(
                id,
                policy
                    .get_valid_request_envs(schema)
                    .map(|e| format!("({}, {}, {})", e.principal(), e.action(), e.resource()))
                    .collect(),
            );
        }
        Self {
            permits: build(true),
            set,
            forbid,
            envs,
        }
    }

    fn ids(&self) -> BTreeSet<String> {
        self.forbid.keys().cloned().collect()
    }

    fn evaluate(&self, sample: &Sample) -> Evaluated {
        let decision = authorize(&self.set, sample).decision;
        let each = authorize(&self.permits, sample);
        let matched: BTreeSet<String> = each.reasons.into_iter().collect();
        // Cedar's rule, as a check on the two evaluations: a matching forbid denies, else a
        // matching permit allows.
        let derived = if !matched.is_empty() && !matched.iter().any(|id| self.forbid[id]) {
            Decision::Allow
        } else {
            Decision::Deny
        };
        assert_eq!(
            derived,
            decision,
            "the two evaluations disagree: {}",
            sample.case()
        );
        Evaluated {
            decision,
            matched,
            errored: each.errors.into_iter().collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The test.

#[derive(Default)]
struct Tally {
    policies: usize,
    checked: usize,
    unknown: usize,
    unknown_reasons: BTreeSet<String>,
}

struct Run<'a> {
    seed: u64,
    iteration: usize,
    schema: &'a Schema,
    failures: Vec<String>,
    tally: BTreeMap<Family, Tally>,
    verdicts: BTreeMap<&'static str, usize>,
    /// Seconds spent proving, comparing and evaluating.
    times: [f64; 3],
    solver_queries: usize,
}

impl Run<'_> {
    fn fail(&mut self, case: &Case, what: String) {
        self.failures.push(format!(
            "seed {} iteration {} (rerun: CEDARCHECK_DIFF_SEED={} CEDARCHECK_DIFF_ONLY={}): {what}\n{}",
            self.seed,
            self.iteration,
            self.seed,
            self.iteration,
            case.describe()
        ));
    }

    fn unknown(&mut self, families: BTreeSet<Family>, reason: &str) {
        for family in families {
            let tally = self.tally.entry(family).or_default();
            tally.unknown += 1;
            tally
                .unknown_reasons
                .insert(reason.chars().take(200).collect());
        }
    }

    fn checked(&mut self, families: &BTreeSet<Family>, rule: &'static str) {
        for &family in families {
            self.tally.entry(family).or_default().checked += 1;
        }
        *self.verdicts.entry(rule).or_default() += 1;
    }
}

fn is_unknown(f: &Finding) -> bool {
    f.message.starts_with("unknown:") || f.message.contains("(undecided in")
}

/// The environments a finding names: all that its policy applies to, or those listed.
fn finding_envs(f: &Finding, applies: &BTreeSet<String>, all: &[String]) -> BTreeSet<String> {
    if f.message.contains("request environments it applies to") {
        return applies.clone();
    }
    all.iter()
        .filter(|e| f.message.contains(e.as_str()))
        .cloned()
        .collect()
}

fn related_id(f: &Finding) -> Option<String> {
    f.related
        .first()
        .map(|r| r.message.trim_matches('`').to_string())
}

fn env_names(schema: &Schema) -> Vec<String> {
    let mut names: Vec<String> = schema
        .request_envs()
        .map(|e| format!("({}, {}, {})", e.principal(), e.action(), e.resource()))
        .collect();
    names.sort();
    names
}

fn env_of(name: &str) -> (String, String) {
    // "(D::User, D::Action::\"view\", D::Doc)"
    let inner = name.trim_start_matches('(').trim_end_matches(')');
    let parts: Vec<&str> = inner.split(", ").collect();
    let action = parts[1]
        .trim_start_matches("D::Action::\"")
        .trim_end_matches('"');
    (parts[0].to_string(), action.to_string())
}

fn env_var(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn decided_verdicts_agree_with_the_authorizer_on_random_policy_sets() {
    let Some(cvc5) =
        cvc5_or_skip("decided_verdicts_agree_with_the_authorizer_on_random_policy_sets")
    else {
        return;
    };
    let seed = env_var("CEDARCHECK_DIFF_SEED").unwrap_or(0x00c0_ffee);
    let iterations = env_var("CEDARCHECK_DIFF_ITERATIONS").unwrap_or(20) as usize;
    let samples = env_var("CEDARCHECK_DIFF_SAMPLES").unwrap_or(120) as usize;
    let only = env_var("CEDARCHECK_DIFF_ONLY").map(|n| n as usize);
    let schema_file = SourceFile::new("schema.cedarschema", SCHEMA);
    let (schema, _) = Schema::from_cedarschema_str(SCHEMA).unwrap();
    let envs = env_names(&schema);
    let started = Instant::now();
    let mut run = Run {
        seed,
        iteration: 0,
        schema: &schema,
        failures: Vec::new(),
        tally: BTreeMap::new(),
        verdicts: BTreeMap::new(),
        times: [0.0; 3],
        solver_queries: 0,
    };
    for iteration in 0..iterations {
        if only.is_some_and(|n| n != iteration) {
            continue;
        }
        run.iteration = iteration;
        let mut rng = Rng::new(seed ^ (iteration as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let focus = FAMILIES[iteration % FAMILIES.len()];
        let case = random_case(&mut rng, &schema, focus);
        let new_case = mutate(&mut rng, &schema, &case, focus);
        one_case(
            &mut run,
            &mut rng,
            &cvc5,
            &schema_file,
            &envs,
            samples,
            &case,
            &new_case,
        );
    }

    let mut summary = format!(
        "seed {seed}, {iterations} policy sets, {samples} random requests per environment, {:.1} s\nverdicts checked: {:?}\nproving {:.1} s, diff {:.1} s, requests {:.1} s; {} solver queries\n",
        started.elapsed().as_secs_f64(),
        run.verdicts,
        run.times[0],
        run.times[1],
        run.times[2],
        run.solver_queries
    );
    let mut undecided = Vec::new();
    for family in FAMILIES {
        let tally = run.tally.entry(family).or_default();
        let _ = writeln!(
            summary,
            "  {family:?}: {} policies, {} verdicts checked, {} unknown {:?}",
            tally.policies, tally.checked, tally.unknown, tally.unknown_reasons
        );
        if tally.unknown > 0 && !MAY_BE_UNDECIDED.contains(&family) {
            undecided.push(format!("{family:?}: {:?}", tally.unknown_reasons));
        }
        if only.is_none() && iterations >= FAMILIES.len() && tally.policies == 0 {
            run.failures.push(format!(
                "{family:?}: no policy of this family was generated"
            ));
        }
    }
    eprintln!("{summary}");
    for u in undecided {
        run.failures.push(format!(
            "seed {seed}: a family that should be decided was not: {u}"
        ));
    }
    assert!(
        run.failures.is_empty(),
        "{} failures:\n{}\n{summary}",
        run.failures.len(),
        run.failures.join("\n\n")
    );
}

#[allow(clippy::too_many_arguments)]
fn one_case(
    run: &mut Run<'_>,
    rng: &mut Rng,
    cvc5: &std::path::Path,
    schema_file: &SourceFile,
    envs: &[String],
    samples: usize,
    case: &Case,
    new_case: &Case,
) {
    let schema = run.schema;
    let settings = Settings::default();
    let input = case.input(schema_file);
    let report = check(&input, &settings);
    let broken: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule == "parse-error" || f.rule == "schema-error")
        .map(|f| f.message.clone())
        .collect();
    if !broken.is_empty()
        || !report.invalid_policies.is_empty()
        || !report.impossible_policies.is_empty()
    {
        run.fail(
            case,
            format!(
                "the generated set does not validate: {broken:?} {:?} {:?}",
                report.invalid_policies, report.impossible_policies
            ),
        );
        return;
    }
    for spec in &case.policies {
        for &family in &spec.families {
            run.tally.entry(family).or_default().policies += 1;
        }
    }
    let invariants = SourceFile::new("invariants.cedar", case.invariants_text());
    let clock = Instant::now();
    let proof = prove_set(
        CheckedSet {
            input: &input,
            report: &report,
            invariants: vec![invariants],
            settings: &settings,
        },
        DeepOptions {
            solver: solver(cvc5.to_path_buf(), TIMEOUT_MS),
            jobs: 2,
            cache: Default::default(),
            progress: None,
            cancel: None,
        },
    )
    .expect("the schema loads");
    run.times[0] += clock.elapsed().as_secs_f64();
    run.solver_queries += proof.deep.stats.solver_queries;
    let clock = Instant::now();
    let loaded = Truth::new(&case.policies, &case.links, schema);
    let inv_loaded = Truth::new(&case.invariants, &[], schema);
    let analysed: BTreeSet<String> = report
        .loaded
        .entries
        .iter()
        .filter(|e| e.kind != cedarcheck_analyzer::PolicyKind::Template)
        .map(|e| e.id.clone())
        .collect();
    assert_eq!(
        analysed,
        loaded.ids(),
        "cedarcheck loads the policies under their ids"
    );

    // The diff, old → new.
    let new_input = new_case.input(schema_file);
    let new_report = check(&new_input, &settings);
    let files = |input: &PolicySetInput| -> Vec<String> {
        input.files().iter().map(|f| f.path.clone()).collect()
    };
    let (old_files, new_files) = (files(&input), files(&new_input));
    let compared = diff(
        &DiffInput {
            old: LoadedPolicies {
                loaded: &report.loaded,
                files: &old_files,
                skip: &report.invalid_policies,
            },
            new: LoadedPolicies {
                loaded: &new_report.loaded,
                files: &new_files,
                skip: &new_report.invalid_policies,
            },
            schema,
            old_schema: schema,
        },
        &solver(cvc5.to_path_buf(), TIMEOUT_MS),
        2,
    );
    let new_loaded = Truth::new(&new_case.policies, &new_case.links, schema);
    run.times[1] += clock.elapsed().as_secs_f64();
    run.solver_queries += compared.solver_queries;
    let clock = Instant::now();

    // Requests: random ones, and every one the solver returned.
    let mut pool: Vec<Sample> = Vec::new();
    for env in envs {
        pool.extend(random_samples(rng, schema, &env_of(env), samples));
    }
    let mut solver_requests = Vec::new();
    for f in &proof.deep.findings {
        if let Some(cex) = &f.counterexample {
            solver_requests.push(cex.clone());
        }
    }
    for env in &compared.environments {
        for example in [&env.added, &env.removed].into_iter().flatten() {
            solver_requests.push(example.case.clone());
        }
    }
    for case_json in solver_requests {
        match load_sample(&case_json, schema) {
            Some(sample) => pool.push(sample),
            None => run.fail(
                case,
                format!("a request the solver returned does not load: {case_json}"),
            ),
        }
    }
    let evaluated: Vec<Evaluated> = pool.iter().map(|s| loaded.evaluate(s)).collect();
    run.times[2] += clock.elapsed().as_secs_f64();
    let in_env = |env_set: &BTreeSet<String>| -> Vec<usize> {
        (0..pool.len())
            .filter(|&i| env_set.contains(&pool[i].env))
            .collect()
    };

    // Findings of the deep rules.
    let mut reported: BTreeSet<(&'static str, String)> = BTreeSet::new();
    for f in &proof.deep.findings {
        let id = f.policy_id.clone().unwrap_or_default();
        let invariant = f.file == "invariants.cedar";
        let families = if f.rule == "allows-all" || invariant {
            case.all_families()
        } else {
            case.families_of(&id)
        };
        if is_unknown(f) {
            run.unknown(families.clone(), &f.message);
        }
        reported.insert((f.rule, id.clone()));
        if f.message.starts_with("unknown:") {
            continue;
        }
        let applies = if invariant {
            inv_loaded.envs.get(&id).cloned().unwrap_or_default()
        } else {
            loaded.envs.get(&id).cloned().unwrap_or_default()
        };
        let named = finding_envs(f, &applies, envs);
        let here = in_env(&named);
        let contradiction = |check: &dyn Fn(&Evaluated) -> bool| -> Option<usize> {
            here.iter().copied().find(|&i| !check(&evaluated[i]))
        };
        let bad = match f.rule {
            "vacuous-policy" => contradiction(&|e| !e.matched.contains(&id)),
            "unconditional-permit" => contradiction(&|e| e.matched.contains(&id)),
            "overridden-permit" => {
                contradiction(&|e| !e.matched.contains(&id) || e.decision == Decision::Deny)
            }
            "redundant-permit" | "redundant-forbid" => {
                let forbid = loaded.forbid.get(&id).copied().unwrap_or(false);
                contradiction(&|e| {
                    !e.matched.contains(&id)
                        || e.matched
                            .iter()
                            .any(|o| *o != id && loaded.forbid.get(o) == Some(&forbid))
                })
            }
            "equivalent-policies" => {
                let other = related_id(f).unwrap_or_default();
                let either: BTreeSet<String> = applies
                    .union(loaded.envs.get(&other).unwrap_or(&BTreeSet::new()))
                    .cloned()
                    .collect();
                in_env(&either).into_iter().find(|&i| {
                    evaluated[i].matched.contains(&id) != evaluated[i].matched.contains(&other)
                })
            }
            "allows-all" => contradiction(&|e| e.decision == Decision::Allow),
            "forbid-may-error" | "permit-may-error" => {
                // Replays: the counterexample makes the policy error.
                let cex = f
                    .counterexample
                    .as_ref()
                    .and_then(|c| load_sample(c, schema));
                match cex {
                    Some(sample) if loaded.evaluate(&sample).errored.contains(&id) => None,
                    _ => {
                        run.fail(
                            case,
                            format!(
                                "{}: the counterexample does not replay: {}",
                                f.message,
                                f.counterexample.clone().unwrap_or_default()
                            ),
                        );
                        None
                    }
                }
            }
            "invariant-violated" => {
                let cex = f
                    .counterexample
                    .as_ref()
                    .and_then(|c| load_sample(c, schema));
                let forbid = inv_loaded.forbid.get(&id).copied().unwrap_or(false);
                let replays = cex.is_some_and(|sample| {
                    let inv = inv_loaded.evaluate(&sample);
                    let set = loaded.evaluate(&sample);
                    inv.matched.contains(&id)
                        && set.decision
                            == if forbid {
                                Decision::Allow
                            } else {
                                Decision::Deny
                            }
                });
                if !replays {
                    run.fail(
                        case,
                        format!(
                            "{}: the counterexample does not replay: {}",
                            f.message,
                            f.counterexample.clone().unwrap_or_default()
                        ),
                    );
                }
                None
            }
            _ => None,
        };
        run.checked(&families, f.rule);
        if let Some(i) = bad {
            run.fail(
                case,
                format!(
                    "wrong verdict: {} [{}]\n  contradicted by (decision {:?}, matched {:?}, errored {:?}):\n  {}",
                    f.message,
                    f.rule,
                    evaluated[i].decision,
                    evaluated[i].matched,
                    evaluated[i].errored,
                    pool[i].case()
                ),
            );
        }
    }

    // The verdicts without a finding: no policy errors, every invariant holds.
    let vacuous_envs: BTreeMap<String, BTreeSet<String>> = proof
        .deep
        .findings
        .iter()
        .filter(|f| f.rule == "vacuous-policy" && !is_unknown(f))
        .map(|f| {
            let id = f.policy_id.clone().unwrap_or_default();
            let applies = loaded.envs.get(&id).cloned().unwrap_or_default();
            (id, finding_envs(f, &applies, envs))
        })
        .collect();
    for (id, forbid) in &loaded.forbid {
        let rule = if *forbid {
            "forbid-may-error"
        } else {
            "permit-may-error"
        };
        if reported.contains(&(rule, id.clone())) {
            continue;
        }
        let skip = vacuous_envs.get(id).cloned().unwrap_or_default();
        let families = case.families_of(id);
        run.checked(&families, "never errors");
        if let Some(i) = (0..pool.len())
            .find(|&i| !skip.contains(&pool[i].env) && evaluated[i].errored.contains(id))
        {
            run.fail(
                case,
                format!(
                    "wrong verdict: no {rule} finding for `{id}`, but it errors on:\n  {}",
                    pool[i].case()
                ),
            );
        }
    }
    for spec in &case.invariants {
        if reported.contains(&("invariant-violated", spec.id.clone())) {
            continue;
        }
        let families: BTreeSet<Family> = case.all_families();
        run.checked(&families, "invariant holds");
        let applies = inv_loaded.envs.get(&spec.id).cloned().unwrap_or_default();
        for &i in &in_env(&applies) {
            let inv = inv_loaded.evaluate(&pool[i]);
            let expected = if spec.forbid {
                Decision::Deny
            } else {
                Decision::Allow
            };
            if inv.matched.contains(&spec.id) && evaluated[i].decision != expected {
                run.fail(
                    case,
                    format!(
                        "wrong verdict: invariant `{}` reported to hold, but the set decides {:?} on:\n  {}",
                        spec.id, evaluated[i].decision, pool[i].case()
                    ),
                );
                break;
            }
        }
    }

    // The diff.
    let changed: BTreeSet<Family> = case
        .all_families()
        .union(&new_case.all_families())
        .copied()
        .collect();
    for env in &compared.environments {
        let name = format!("({}, {}, {})", env.principal, env.action, env.resource);
        if let Change::Unknown(reason) = &env.change {
            run.unknown(changed.clone(), reason);
            continue;
        }
        run.checked(&changed, "diff");
        for (example, added) in [(&env.added, true), (&env.removed, false)] {
            let Some(example) = example else { continue };
            let replays = load_sample(&example.case, schema).is_some_and(|sample| {
                let (new, old) = (
                    authorize(&new_loaded.set, &sample).decision,
                    authorize(&loaded.set, &sample).decision,
                );
                if added {
                    (new, old) == (Decision::Allow, Decision::Deny)
                } else {
                    (new, old) == (Decision::Deny, Decision::Allow)
                }
            });
            if !replays {
                run.fail(
                    case,
                    format!(
                        "diff {name}: the example does not replay: {}\n{}",
                        example.case,
                        new_case.describe()
                    ),
                );
            }
        }
        let (no_added, no_removed) = match env.change {
            Change::Equivalent => (true, true),
            Change::MorePermissive => (false, true),
            Change::LessPermissive => (true, false),
            _ => (false, false),
        };
        for i in in_env(&BTreeSet::from([name.clone()])) {
            let old = evaluated[i].decision;
            let new = authorize(&new_loaded.set, &pool[i]).decision;
            let contradicted = (no_added && new == Decision::Allow && old == Decision::Deny)
                || (no_removed && new == Decision::Deny && old == Decision::Allow);
            if contradicted {
                run.fail(
                    case,
                    format!(
                        "wrong diff: {name} is {:?}, but old {old:?} / new {new:?} on:\n  {}\n{}",
                        env.change,
                        pool[i].case(),
                        new_case.describe()
                    ),
                );
                break;
            }
        }
    }
}
