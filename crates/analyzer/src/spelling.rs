//! "Did you mean …?": the closest known name to a misspelt one, measured as Cedar measures it,
//! and settled among equally close names so that the same input reads the same every run.

/// The name of `known` with the least edit distance to `key` (Cedar's measure), the first in
/// name order among equally close ones; `None` when there is nothing to suggest.
pub(crate) fn closest<'a>(key: &str, known: &'a [String]) -> Option<&'a str> {
    if key.is_empty() {
        return None;
    }
    known
        .iter()
        .min_by(|a, b| {
            (edit_distance(key, a), a.as_str()).cmp(&(edit_distance(key, b), b.as_str()))
        })
        .map(String::as_str)
}

/// Levenshtein distance in characters, as Cedar's fuzzy matching measures it.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_name_is_the_first_in_name_order_among_equally_close_ones() {
        let known: Vec<String> = ["Users", "Userc", "Admin", "Userb"]
            .map(String::from)
            .to_vec();
        assert_eq!(closest("Usera", &known), Some("Userb"));
        assert_eq!(closest("Admn", &known), Some("Admin"));
        assert_eq!(closest("", &known), None);
        assert_eq!(closest("x", &[]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
    }
}
