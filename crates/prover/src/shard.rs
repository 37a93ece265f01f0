//! Sharding a deep analysis across machines (README "Sharding across CI jobs"): shard K of N
//! analyses its share of every policy set's request environments. The environments are
//! independent jobs, so the shares are a partition, balanced by each environment's expected
//! cost and decided by the environments' names alone: every shard computes the same partition.

use std::str::FromStr;

/// Shard `index` of `count`, 1-based as written (`2/3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    index: usize,
    count: usize,
}

/// Why a `K/N` argument names no shard.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("`{0}` is not K/N (shard K of N, e.g. 2/3)")]
    NotKOfN(String),
    #[error("there is no shard {index} of {count}: K must be from 1 to {count}")]
    NoSuchShard { index: usize, count: usize },
    #[error("N must be at least 1")]
    NoShards,
}

impl Shard {
    pub fn new(index: usize, count: usize) -> Result<Self, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index == 0 || index > count {
            return Err(ShardError::NoSuchShard { index, count });
        }
        Ok(Self { index, count })
    }

    /// K, from 1.
    pub fn index(self) -> usize {
        self.index
    }

    /// N.
    pub fn count(self) -> usize {
        self.count
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Self, ShardError> {
        let not = || ShardError::NotKOfN(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(not)?;
        let number = |s: &str| -> Result<usize, ShardError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(not());
            }
            s.parse().map_err(|_| not())
        };
        Self::new(number(k)?, number(n)?)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What analysing an environment is expected to cost: about the number of questions asked
/// about it, which grows with the square of the policies that apply in it (pairwise and
/// coverage questions), plus one per invariant.
pub fn expected_cost(policies: usize, invariants: usize) -> u64 {
    let p = policies as u64;
    (p + 1) * (p + 1) + invariants as u64
}

/// Splits `environments` (name, expected cost) into `count` shares of about equal cost:
/// greedy longest-processing-time, the costliest environment first into the share with the
/// least cost so far. Ties go by name, then to the lower share, so the result depends on
/// nothing but the names and costs (not on their order). Each share lists indexes into
/// `environments`, ascending; every index is in exactly one share.
pub fn partition(environments: &[(&str, u64)], count: usize) -> Vec<Vec<usize>> {
    let count = count.max(1);
    let mut order: Vec<usize> = (0..environments.len()).collect();
    order.sort_by(|&a, &b| {
        let ((name_a, cost_a), (name_b, cost_b)) = (environments[a], environments[b]);
        cost_b
            .cmp(&cost_a)
            .then_with(|| name_a.cmp(name_b))
            .then_with(|| a.cmp(&b))
    });
    let mut shares = vec![Vec::new(); count];
    let mut loads = vec![0u64; count];
    for index in order {
        let lightest = (0..count)
            .min_by_key(|&share| (loads[share], share))
            .unwrap_or(0);
        loads[lightest] += environments[index].1;
        shares[lightest].push(index);
    }
    for share in &mut shares {
        share.sort_unstable();
    }
    shares
}

/// The indexes of `environments` that `shard` analyses.
pub fn share(environments: &[(&str, u64)], shard: Shard) -> Vec<usize> {
    partition(environments, shard.count)
        .into_iter()
        .nth(shard.index - 1)
        .unwrap_or_default()
}

/// A digest of everything a run read (each part length-prefixed): shards of the same inputs
/// have the same digest, and `cedarcheck merge` refuses to combine shards whose digests differ.
pub fn inputs_digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    crate::cache::key(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_of_n_is_parsed_and_bad_values_say_why() {
        assert_eq!("2/3".parse::<Shard>(), Shard::new(2, 3));
        assert_eq!(
            "1/1".parse::<Shard>().map(|s| s.to_string()),
            Ok("1/1".into())
        );
        let error = |text: &str| text.parse::<Shard>().unwrap_err().to_string();
        assert_eq!(
            error("0/3"),
            "there is no shard 0 of 3: K must be from 1 to 3"
        );
        assert_eq!(
            error("4/3"),
            "there is no shard 4 of 3: K must be from 1 to 3"
        );
        assert_eq!(error("1/0"), "N must be at least 1");
        for bad in ["x", "2", "2/", "/3", "-1/3", "2/3/4", "+2/3", " 2/3"] {
            assert_eq!(
                error(bad),
                format!("`{bad}` is not K/N (shard K of N, e.g. 2/3)")
            );
        }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("(P{i}, Action::\"a\", R)"))
            .collect()
    }

    #[test]
    fn every_environment_is_in_exactly_one_share_whatever_the_order() {
        let names = names(23);
        let envs: Vec<(&str, u64)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), (i as u64 * 7) % 5))
            .collect();
        for count in 1..=25 {
            let shares = partition(&envs, count);
            assert_eq!(shares.len(), count);
            let mut all: Vec<usize> = shares.concat();
            all.sort_unstable();
            assert_eq!(all, (0..envs.len()).collect::<Vec<_>>());
            assert_eq!(partition(&envs, count), shares, "deterministic");
            // The same environments listed in another order get the same shares, by name.
            let reversed: Vec<(&str, u64)> = envs.iter().rev().copied().collect();
            fn by_name(shares: Vec<Vec<usize>>, list: &[(&str, u64)]) -> Vec<Vec<String>> {
                shares
                    .into_iter()
                    .map(|s| {
                        let mut s: Vec<String> =
                            s.into_iter().map(|i| list[i].0.to_string()).collect();
                        s.sort_unstable();
                        s
                    })
                    .collect()
            }
            assert_eq!(
                by_name(partition(&reversed, count), &reversed),
                by_name(shares.clone(), &envs)
            );
            for (k, expected) in shares.iter().enumerate() {
                let shard = Shard::new(k + 1, count).unwrap();
                assert_eq!(&share(&envs, shard), expected);
            }
        }
    }

    #[test]
    fn skewed_costs_are_balanced() {
        // One environment with most policies, a few mid-sized ones and many small ones, as a
        // schema with one busy action looks.
        let names = names(40);
        let costs: Vec<u64> = (0..40)
            .map(|i| match i {
                0 => expected_cost(20, 0),
                1..=4 => expected_cost(12, 1),
                _ => expected_cost(i % 4, 0),
            })
            .collect();
        let envs: Vec<(&str, u64)> = names.iter().map(String::as_str).zip(costs).collect();
        let total: u64 = envs.iter().map(|e| e.1).sum();
        let largest = envs.iter().map(|e| e.1).max().unwrap();
        for count in [2, 3, 4] {
            let loads: Vec<u64> = partition(&envs, count)
                .iter()
                .map(|s| s.iter().map(|&i| envs[i].1).sum())
                .collect();
            let heaviest = *loads.iter().max().unwrap();
            // LPT's bound: no share exceeds the ideal by more than its largest job, and here
            // (the largest job is below the ideal) within 4/3 of the best possible.
            let ideal = total.div_ceil(count as u64).max(largest);
            assert!(
                heaviest * 3 <= ideal * 4,
                "{count} shares: loads {loads:?}, ideal {ideal}"
            );
            assert!(loads.iter().all(|&l| l > 0), "{loads:?}");
        }
        // More shares than environments: the extra shares are empty, never a panic.
        assert_eq!(partition(&envs[..2], 3)[2], Vec::<usize>::new());
    }
}
