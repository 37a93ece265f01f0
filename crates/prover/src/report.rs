//! From verdicts per environment to findings: one finding per rule and policy (or pair,
//! invariant, environment), naming the environments where it holds; one level lower when it
//! holds in only some of them; "unknown" — never clean — where the solver could not decide.

use std::collections::{BTreeMap, BTreeSet};

use cedar_policy::Effect;
use cedar_policy_core::ast::Template;
use cedarcheck_analyzer::{
    action_reads_only, scan_head, Finding, Level, LoadedSet, PolicyKind, Related, Settings, Span,
};
use serde_json::Value;

use crate::counterexample::{Raised, Replay};
use crate::environment::{EnvJob, Shared, Subject};
use crate::outcome::Outcome;
use crate::rules::{redundant_permit, DeepRule, Said};
use crate::verdict::{About, Verdict};

/// Where a loaded set's policies are.
pub struct Locator<'a> {
    pub loaded: &'a LoadedSet,
    pub files: &'a [String],
}

impl Locator<'_> {
    /// Where a finding about a policy goes: where the static rules put theirs, on its head
    /// (from the effect keyword to the end of the scope); a template-linked policy's is its
    /// entry in the links file.
    fn place(&self, subject: &Subject) -> (String, Span) {
        let entry = &self.loaded.entries[subject.entry];
        let head = self.template(subject.entry).and_then(|template| {
            let loc = template.loc()?;
            let head = scan_head(&loc.src, Span::new(loc.start(), loc.end()))?.head;
            self.in_file(subject.entry, head)
        });
        (self.files[entry.file].clone(), head.unwrap_or(entry.span))
    }

    /// A static policy (a template without slots) or a template as Cedar parsed it, with
    /// its source locations; `None` for a link, whose text is its template's.
    fn template(&self, entry: usize) -> Option<&Template> {
        let entry = &self.loaded.entries[entry];
        match entry.kind {
            PolicyKind::Static => self
                .loaded
                .set
                .policy(&entry.internal_id)
                .map(|p| p.as_ref().template()),
            PolicyKind::Template => self
                .loaded
                .set
                .template(&entry.internal_id)
                .map(|t| t.as_ref()),
            PolicyKind::Link => None,
        }
    }

    /// A span of the text `entry` was parsed from — the file, or in an incremental check the
    /// statements around it — as a span of its file; `None` outside the policy.
    fn in_file(&self, entry: usize, span: Span) -> Option<Span> {
        let loc = self.template(entry)?.loc()?;
        let at = self.loaded.entries[entry].span.start;
        (loc.start() <= span.start && span.end <= loc.end()).then(|| {
            Span::new(
                at + (span.start - loc.start()),
                at + (span.end - loc.start()),
            )
        })
    }

    /// The error policy `entry` raises on a counterexample, in words, and where the
    /// expression that raises it is: in the policy, or for a link in its template (a location
    /// for the finding's related information).
    fn raised(
        &self,
        entry: usize,
        counterexample: &Value,
        schema: &cedar_policy::Schema,
    ) -> Option<(String, Option<Span>, Option<Related>)> {
        let replay = Replay::parse(counterexample, schema).ok()?;
        let policy = &self.loaded.entries[entry];
        let Raised { span, words } = replay.raised(&self.loaded.set, &policy.internal_id)?;
        Some(match (policy.kind, policy.template) {
            (PolicyKind::Link, Some(template)) => {
                let related = span
                    .and_then(|span| self.in_file(template, span))
                    .map(|span| {
                        let template = &self.loaded.entries[template];
                        Related {
                            file: self.files[template.file].clone(),
                            span,
                            message: format!(
                                "the error is raised here, in template `{}`",
                                template.id
                            ),
                        }
                    });
                (words, None, related)
            }
            _ => (words, span.and_then(|span| self.in_file(entry, span)), None),
        })
    }

    fn kind(&self, subject: &Subject) -> &'static str {
        match self.loaded.entries[subject.entry].kind {
            PolicyKind::Link => "template-linked policy",
            _ => match subject.effect() {
                Effect::Permit => "permit",
                Effect::Forbid => "forbid",
            },
        }
    }
}

pub struct Context<'a> {
    pub shared: &'a Shared<'a>,
    pub jobs: &'a [EnvJob],
    pub policies: Locator<'a>,
    pub invariants: Locator<'a>,
    pub settings: &'a Settings,
}

pub fn findings(verdicts: Vec<Verdict>, cx: &Context<'_>) -> Vec<Finding> {
    // Grouped by rule id, then subject: the order findings come out in before sorting.
    let mut groups: BTreeMap<(&'static str, About), Vec<Verdict>> = BTreeMap::new();
    for verdict in verdicts {
        groups
            .entry((verdict.rule.declaration().id, verdict.about))
            .or_default()
            .push(verdict);
    }
    // Workers finish environments in any order; report them in the schema's.
    for verdicts in groups.values_mut() {
        verdicts.sort_by_key(|v| v.env);
    }
    // Pairs reported as equivalent explain their members' redundancy; say it once.
    let equivalent: BTreeSet<(usize, usize)> = groups
        .iter()
        .filter(|(_, vs)| {
            vs[0].rule == DeepRule::EquivalentPolicies && vs.iter().all(|v| v.outcome.is_holds())
        })
        .filter_map(|((_, about), vs)| match about {
            About::Pair(a, b) if vs.len() == cx.envs_of_either(*a, *b) => Some((*a, *b)),
            _ => None,
        })
        .collect();
    let mutual = settle_mutual_covers(&mut groups, &equivalent);
    let mut findings = Vec::new();
    for ((_, about), verdicts) in groups {
        let mut finding = cx.finding(about, &verdicts, &equivalent);
        if let (Some(finding), About::Policy(p)) = (&mut finding, about) {
            if let Some(&other) = mutual.get(&p) {
                cx.say_mutual(finding, p, other, &verdicts);
            }
        }
        findings.extend(finding);
    }
    findings
}

/// Two policies that cover each other in an environment are each redundant there with the
/// other, and two findings would invite deleting both. The earlier one's verdicts in those
/// environments are dropped; the later one's finding says that the two cover each other
/// there, and to keep one. Returns, for each later policy whose every redundancy is such a
/// mutual cover, the policy it pairs with.
fn settle_mutual_covers(
    groups: &mut BTreeMap<(&'static str, About), Vec<Verdict>>,
    equivalent: &BTreeSet<(usize, usize)>,
) -> BTreeMap<usize, usize> {
    let redundancy = [
        DeepRule::RedundantPermit.declaration().id,
        DeepRule::RedundantForbid.declaration().id,
    ];
    let single_cover = |v: &Verdict| match &v.outcome {
        Outcome::Holds { related, .. } if related.len() == 1 => Some(related[0]),
        _ => None,
    };
    // (earlier, later) → environments where each is the other's only cover.
    let mut pairs: BTreeMap<(usize, usize), BTreeSet<usize>> = BTreeMap::new();
    for ((rule, about), verdicts) in groups.iter() {
        let About::Policy(p) = *about else { continue };
        if !redundancy.contains(rule) {
            continue;
        }
        for v in verdicts {
            let Some(q) = single_cover(v) else { continue };
            let back = groups
                .get(&(rule, About::Policy(q)))
                .and_then(|vs| vs.iter().find(|w| w.env == v.env))
                .and_then(single_cover);
            if p < q && back == Some(p) && !equivalent.contains(&(p, q)) {
                pairs.entry((p, q)).or_default().insert(v.env);
            }
        }
    }
    let mut mutual = BTreeMap::new();
    for (&(earlier, later), envs) in &pairs {
        for rule in redundancy {
            if let Some(verdicts) = groups.get_mut(&(rule, About::Policy(earlier))) {
                for v in verdicts.iter_mut().filter(|v| envs.contains(&v.env)) {
                    v.outcome = Outcome::Fails;
                }
            }
            let later_covers = groups.get(&(rule, About::Policy(later))).map(|vs| {
                vs.iter()
                    .filter(|v| v.outcome.is_holds())
                    .all(|v| single_cover(v) == Some(earlier) && envs.contains(&v.env))
            });
            if later_covers == Some(true) {
                mutual.insert(later, earlier);
            }
        }
    }
    mutual
}

impl Context<'_> {
    fn envs_of(&self, policy: usize) -> Vec<usize> {
        self.jobs
            .iter()
            .filter(|j| j.policies.contains(&policy))
            .map(|j| j.index)
            .collect()
    }

    fn envs_of_either(&self, a: usize, b: usize) -> usize {
        self.jobs
            .iter()
            .filter(|j| j.policies.contains(&a) || j.policies.contains(&b))
            .count()
    }

    /// Rewords the redundancy finding of `later`, whose every cover is `earlier` covering it
    /// back: the two match the same requests there, so one of them can go.
    fn say_mutual(
        &self,
        finding: &mut Finding,
        later: usize,
        earlier: usize,
        verdicts: &[Verdict],
    ) {
        let holds: Vec<usize> = verdicts
            .iter()
            .filter(|v| v.outcome.is_holds())
            .map(|v| v.env)
            .collect();
        let subject = &self.shared.subjects[later];
        let phrase = self.scope_phrase(&holds, self.envs_of(later).len());
        let message = redundant_permit::mutual_message(
            self.policies.kind(subject),
            &subject.id,
            &format!("`{}`", self.shared.subjects[earlier].id),
            &phrase,
        );
        finding.message = match finding.message.find(" (undecided in ") {
            Some(at) => format!("{message}{}", &finding.message[at..]),
            None => message,
        };
    }

    fn env_name(&self, env: usize) -> &str {
        &self.jobs[env].name
    }

    /// "in all 3 request environments it applies to" / "in 1 of its 3 request environments: (…)".
    fn scope_phrase(&self, holds: &[usize], applicable: usize) -> String {
        match (holds.len(), applicable) {
            (1, 1) => format!("in its one request environment {}", self.env_name(holds[0])),
            (k, n) if k == n => format!("in all {n} request environments it applies to"),
            (_, n) => format!(
                "in {} of its {n} request environments: {}",
                holds.len(),
                self.env_list(holds)
            ),
        }
    }

    fn env_list(&self, envs: &[usize]) -> String {
        let mut names: Vec<&str> = envs.iter().take(3).map(|&e| self.env_name(e)).collect();
        let more = envs.len().saturating_sub(3);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        names.dedup();
        format!("{}{more}", names.join(", "))
    }

    fn finding(
        &self,
        about: About,
        verdicts: &[Verdict],
        equivalent: &BTreeSet<(usize, usize)>,
    ) -> Option<Finding> {
        let gathered = Gathered::new(about, verdicts);
        if gathered.holds.is_empty() && gathered.unknown.is_empty() {
            return None;
        }
        let rule = gathered.rule;
        let (anchor, subject, locator) = self.place(&gathered)?;
        let (file, span) = locator.place(subject);
        let configured = self.settings.level(rule.declaration(), &file)?;
        let related = gathered.related(anchor);
        if let About::Policy(p) = about {
            let explained = related.len() == 1
                && (equivalent.contains(&(p.min(related[0]), p.max(related[0]))));
            if explained && matches!(rule, DeepRule::RedundantPermit | DeepRule::RedundantForbid) {
                return None;
            }
        }
        if gathered.holds.is_empty() {
            return Some(self.unknown(rule, about, subject, file, span, &gathered.unknown));
        }
        let applicable = self.applicable(about);
        // A pair is reported only when equivalent in every environment either applies in.
        if let About::Pair(a, b) = about {
            if !equivalent.contains(&(a, b)) {
                return None;
            }
        }
        let level = self.level(&gathered, configured, applicable);
        let counterexample = gathered.holds.iter().find_map(|v| match &v.outcome {
            Outcome::Holds { counterexample, .. } => counterexample.clone(),
            _ => None,
        });
        let raised = self.raised(&gathered, subject, locator, counterexample.as_ref());
        let span = raised.as_ref().and_then(|r| r.1).unwrap_or(span);
        let (raised_words, raised_in_template) = match raised {
            Some((words, _, in_template)) => (Some(words), in_template),
            None => (None, None),
        };
        let message = self.message(
            &gathered,
            subject,
            locator,
            applicable,
            &related,
            raised_words.as_deref(),
        );
        let mut finding =
            Finding::new(rule.declaration(), &file, span, message).with_policy(subject.id.as_str());
        finding.level = level;
        finding = self.with_related(finding, about, related, raised_in_template);
        finding.counterexample = counterexample;
        if finding.counterexample.is_some() {
            finding = finding.with_help("the counterexample in the JSON output is a `run-tests` entry: paste it into a test file");
        }
        Some(finding)
    }

    /// Place: the subject a finding stands on and where its policies are; an allows-all
    /// finding stands on the first permit that grants the access (its anchor).
    fn place<'s>(
        &'s self,
        gathered: &Gathered<'_>,
    ) -> Option<(Option<usize>, &'s Subject, &'s Locator<'s>)> {
        let shared = self.shared;
        let anchor = match gathered.about {
            About::Environment(_) => match &gathered.holds.first()?.outcome {
                Outcome::Holds { related, .. } => Some(*related.first()?),
                _ => None,
            },
            _ => None,
        };
        let (subject, locator) = match gathered.about {
            About::Policy(p) => (&shared.subjects[p], &self.policies),
            About::Pair(_, b) => (&shared.subjects[b], &self.policies),
            About::Invariant(i) => (&shared.invariants[i], &self.invariants),
            About::Environment(_) => (&shared.subjects[anchor?], &self.policies),
        };
        Some((anchor, subject, locator))
    }

    /// The environments a finding's question applies in.
    fn applicable(&self, about: About) -> usize {
        match about {
            About::Policy(p) => self.envs_of(p).len(),
            About::Pair(a, b) => self.envs_of_either(a, b),
            About::Invariant(i) => self
                .jobs
                .iter()
                .filter(|j| j.invariants.contains(&i))
                .count(),
            About::Environment(_) => 1,
        }
    }

    /// Level: the configured one, one lower when the finding holds in only some of the
    /// environments it applies in, or when a whole environment allowed only reads.
    fn level(&self, gathered: &Gathered<'_>, configured: Level, applicable: usize) -> Level {
        let about = gathered.about;
        let partial = gathered.holds.len() < applicable
            && !matches!(about, About::Invariant(_) | About::Environment(_));
        // A whole environment allowed matters less when its action only reads (by its name,
        // as `unscoped-principal` judges it): "anyone may read" tiers are usually deliberate.
        let reads_only = match about {
            About::Environment(env) => {
                action_reads_only(self.jobs[env].env.action().id().unescaped())
            }
            _ => false,
        };
        if partial || reads_only {
            lower(configured)
        } else {
            configured
        }
    }

    /// A may-error finding stands on the expression that raises the error in its
    /// counterexample (a link's on the link, pointing at the expression in its template):
    /// the words for it, where it is, and the template's expression as a related location.
    fn raised(
        &self,
        gathered: &Gathered<'_>,
        subject: &Subject,
        locator: &Locator<'_>,
        counterexample: Option<&Value>,
    ) -> Option<(String, Option<Span>, Option<Related>)> {
        let may_error = matches!(
            gathered.rule,
            DeepRule::ForbidMayError | DeepRule::PermitMayError
        );
        match (gathered.about, may_error, counterexample) {
            (About::Policy(_), true, Some(cex)) => {
                locator.raised(subject.entry, cex, self.shared.schema)
            }
            _ => None,
        }
    }

    /// Message: the rule's words for the subject, the environments and the policies involved,
    /// with the environments it could not decide in.
    fn message(
        &self,
        gathered: &Gathered<'_>,
        subject: &Subject,
        locator: &Locator<'_>,
        applicable: usize,
        related: &[usize],
        raised: Option<&str>,
    ) -> String {
        let shared = self.shared;
        let holds_envs: Vec<usize> = gathered.holds.iter().map(|v| v.env).collect();
        let phrase = self.scope_phrase(&holds_envs, applicable);
        let names: Vec<String> = related
            .iter()
            .map(|&r| format!("`{}`", shared.subjects[r].id))
            .collect();
        let detail = gathered.holds.iter().find_map(|v| match &v.outcome {
            Outcome::Holds { detail, .. } => detail.clone(),
            _ => None,
        });
        let other = match gathered.about {
            About::Pair(a, _) => Some(format!("`{}`", shared.subjects[a].id)),
            _ => None,
        };
        let env_list = self.env_list(&holds_envs);
        let message = gathered.rule.message(&Said {
            kind: locator.kind(subject),
            id: &subject.id,
            effect: Some(subject.effect()),
            envs: &phrase,
            env_list: &env_list,
            by: &names,
            other: other.as_deref(),
            raised,
            detail: detail.as_deref(),
        });
        let unknown = &gathered.unknown;
        if unknown.is_empty() {
            message
        } else {
            format!(
                "{message} (undecided in {} more: {})",
                unknown.len(),
                unknown[0].1
            )
        }
    }

    /// Related: the policies involved (a pair's other policy), each at its place, and the
    /// template's expression that raises a link's error.
    fn with_related(
        &self,
        mut finding: Finding,
        about: About,
        related: Vec<usize>,
        raised_in_template: Option<Related>,
    ) -> Finding {
        let shared = self.shared;
        let related_subjects: Vec<usize> = match about {
            About::Pair(a, _) => vec![a],
            _ => related,
        };
        for r in related_subjects {
            let (file, span) = self.policies.place(&shared.subjects[r]);
            finding = finding.with_related(Related {
                file,
                span,
                message: format!("`{}`", shared.subjects[r].id),
            });
        }
        if let Some(related) = raised_in_template {
            finding = finding.with_related(related);
        }
        finding
    }

    fn unknown(
        &self,
        rule: DeepRule,
        about: About,
        subject: &Subject,
        file: String,
        span: Span,
        unknown: &[(usize, &str)],
    ) -> Finding {
        let what = match about {
            About::Environment(_) => "the policy set".to_string(),
            About::Invariant(_) => format!("invariant `{}`", subject.id),
            _ => format!("`{}`", subject.id),
        };
        let envs: Vec<usize> = unknown.iter().map(|(e, _)| *e).collect();
        let mut finding = Finding::new(
            rule.declaration(),
            &file,
            span,
            format!(
                "unknown: could not decide {} for {what} in {}: {}",
                rule.declaration().id,
                self.env_list(&envs),
                unknown[0].1
            ),
        )
        .with_policy(subject.id.as_str())
        .with_help(unknown_help(unknown[0].1, &subject.text));
        // An invariant that cannot be proven is as serious as a failing test.
        finding.level = if rule == DeepRule::InvariantViolated {
            Level::Warn
        } else {
            Level::Info
        };
        finding
    }
}

/// The verdicts about one subject under one rule: the environments where the finding holds
/// and those the solver could not decide.
struct Gathered<'v> {
    rule: DeepRule,
    about: About,
    holds: Vec<&'v Verdict>,
    unknown: Vec<(usize, &'v str)>,
}

impl<'v> Gathered<'v> {
    fn new(about: About, verdicts: &'v [Verdict]) -> Self {
        Gathered {
            rule: verdicts[0].rule,
            about,
            holds: verdicts.iter().filter(|v| v.outcome.is_holds()).collect(),
            unknown: verdicts
                .iter()
                .filter_map(|v| match &v.outcome {
                    Outcome::Unknown(reason) => Some((v.env, reason.as_str())),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The policies the finding involves, in every environment where it holds, but the anchor.
    fn related(&self, anchor: Option<usize>) -> Vec<usize> {
        self.holds
            .iter()
            .flat_map(|v| match &v.outcome {
                Outcome::Holds { related, .. } => related.clone(),
                _ => Vec::new(),
            })
            .filter(|&r| Some(r) != anchor)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

fn lower(level: Level) -> Level {
    match level {
        Level::Error => Level::Warn,
        Level::Warn | Level::Info => Level::Info,
    }
}

/// What to do about an undecided question, by its cause: the solver's time limit (naming the
/// construct known to be slow where the policy uses it), a solver that cannot be started, one
/// that crashed or printed something else than an answer, or a query it rejects.
pub(crate) fn unknown_help(reason: &str, policy_text: &str) -> &'static str {
    if reason.contains("cannot start the solver") {
        "cvc5 could not be started: install it (`apt-get install cvc5`) or point $CVC5 at it; \
         an undecided check is not a pass"
    } else if reason.contains("unrecognized solver output")
        || reason.contains("not running")
        || reason.contains("Broken pipe")
        || reason.contains("terminated")
        || reason.contains("end of file")
        // SymCC's own words for a pipe to a solver that died mid-query.
        || reason.contains("IO error")
    {
        "the solver crashed or printed something else than an answer: check that $CVC5 (or \
         `cvc5` on PATH) is cvc5 1.0.3 or newer; an undecided check is not a pass"
    } else if reason.contains("did not answer within") || reason.contains("unknown") {
        // SymCC encodes these as 64-bit divisions, which cvc5 1.0.3 takes seconds to decide
        // over the whole datetime range.
        if policy_text.contains(".toDate()") || policy_text.contains(".toTime()") {
            "`toDate()`/`toTime()` over the whole datetime range are slow to decide: bound the \
             datetime in the condition (`context.now >= datetime(\"2024-01-01\") && …`) or raise \
             [analysis] timeout-ms; an undecided check is not a pass"
        } else {
            "the solver ran out of time: raise [analysis] timeout-ms, or split the policy's \
             condition; an undecided check is not a pass"
        }
    } else if reason.contains("cannot compile") {
        "SymCC cannot encode this policy for the solver; please report it with the policy; \
         an undecided check is not a pass"
    } else {
        "the solver rejected the query (the reason above): a newer cvc5 may decide it; \
         an undecided check is not a pass"
    }
}
