//! Questions about template links that differ only in the entities their links name are the
//! same question. Cedar cannot look inside an entity uid (no string conversion, no order), so
//! renaming entities one-to-one, within their type, maps valid requests to valid requests and
//! keeps every decision: `permit (principal == User::"u7", …)` is vacuous exactly when the same
//! template linked to `User::"u8"` is. A query's cache key is therefore taken over its
//! policies with the links' entities renamed to placeholders, in order of appearance, and a
//! cached counterexample is renamed back into the entities of the query that reads it.
//!
//! Only the entities a link puts in a slot are renamed, wherever they occur in the query;
//! action entities never are (the schema gives each action its own meaning).

use std::collections::HashSet;
use std::str::FromStr;

use cedar_policy::{EntityId, EntityUid};
use serde_json::Value;

/// A one-to-one renaming of the link entities of one query: `(entity, placeholder)`.
#[derive(Clone, Debug, Default)]
pub struct Renaming {
    pairs: Vec<(EntityUid, EntityUid)>,
}

impl Renaming {
    /// Gives `uid` the next placeholder of its type, unless it has one or is an action.
    pub fn add(&mut self, uid: &EntityUid) {
        if uid.type_name().basename() == "Action" || self.pairs.iter().any(|(u, _)| u == uid) {
            return;
        }
        // The control character cannot occur in a policy's text (Cedar prints it escaped),
        // so a placeholder never meets a real entity.
        let placeholder = EntityUid::from_type_name_and_id(
            uid.type_name().clone(),
            EntityId::new(format!("\u{1}{}", self.pairs.len())),
        );
        self.pairs.push((uid.clone(), placeholder));
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// A policy's text with the renamed entities replaced by their placeholders.
    pub fn text(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (uid, placeholder) in &self.pairs {
            text = replace_uid(&text, &uid.to_string(), &placeholder.to_string());
        }
        text
    }

    /// A counterexample of this query, in placeholders, for the cache.
    pub fn to_placeholders(&self, cex: &Value) -> Value {
        let mut cex = cex.clone();
        rename(&mut cex, &|uid| {
            self.pairs
                .iter()
                .find(|(u, _)| u == uid)
                .map(|(_, p)| p.clone())
        });
        cex
    }

    /// A cached counterexample in placeholders, in this query's entities. `None` when an
    /// entity of this query already occurs in it under its own name (the solver invented it
    /// for another query): the renamed request would not mean the same.
    pub fn restore(&self, cex: &Value) -> Option<Value> {
        let mut present = HashSet::new();
        collect(cex, &mut present);
        if self.pairs.iter().any(|(uid, _)| present.contains(uid)) {
            return None;
        }
        let mut cex = cex.clone();
        rename(&mut cex, &|uid| {
            self.pairs
                .iter()
                .find(|(_, p)| p == uid)
                .map(|(u, _)| u.clone())
        });
        Some(cex)
    }
}

/// `text` with every whole occurrence of the entity `from` (as Cedar prints it) replaced.
fn replace_uid(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        // `B::A::"x"` contains `A::"x"`: only a match that starts a name counts.
        let starts_name = out
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
        out.push_str(if starts_name { to } else { from });
        rest = &after[from.len()..];
    }
    out.push_str(rest);
    out
}

/// The entity uids of a counterexample: the request's three, and every `{"type", "id"}`
/// object of its context and entities (Cedar's JSON forms of an entity reference).
fn walk(cex: &mut Value, visit: &mut dyn FnMut(&mut Value)) {
    if let Some(request) = cex.get_mut("request") {
        for field in ["principal", "action", "resource"] {
            if let Some(uid) = request.get_mut(field) {
                visit(uid);
            }
        }
        if let Some(context) = request.get_mut("context") {
            walk_refs(context, visit);
        }
    }
    if let Some(entities) = cex.get_mut("entities") {
        walk_refs(entities, visit);
    }
}

fn walk_refs(value: &mut Value, visit: &mut dyn FnMut(&mut Value)) {
    match value {
        Value::Object(map) if is_uid_object(map) => visit(value),
        Value::Object(map) => map.values_mut().for_each(|v| walk_refs(v, visit)),
        Value::Array(items) => items.iter_mut().for_each(|v| walk_refs(v, visit)),
        _ => {}
    }
}

fn is_uid_object(map: &serde_json::Map<String, Value>) -> bool {
    map.len() == 2
        && map.get("type").is_some_and(Value::is_string)
        && map.get("id").is_some_and(Value::is_string)
}

/// The uid a request field (`"T::\"id\""`) or a `{"type", "id"}` object names.
fn uid_of(value: &Value) -> Option<EntityUid> {
    match value {
        Value::String(text) => EntityUid::from_str(text).ok(),
        Value::Object(_) => EntityUid::from_json(value.clone()).ok(),
        _ => None,
    }
}

fn rename(cex: &mut Value, map: &dyn Fn(&EntityUid) -> Option<EntityUid>) {
    walk(cex, &mut |value| {
        let Some(to) = uid_of(value).and_then(|uid| map(&uid)) else {
            return;
        };
        *value = match value {
            Value::String(_) => Value::String(to.to_string()),
            _ => serde_json::json!({"type": to.type_name().to_string(), "id": to.id().unescaped()}),
        };
    });
}

fn collect(cex: &Value, into: &mut HashSet<EntityUid>) {
    let mut cex = cex.clone();
    walk(&mut cex, &mut |value| {
        if let Some(uid) = uid_of(value) {
            into.insert(uid);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn uid(text: &str) -> EntityUid {
        EntityUid::from_str(text).unwrap()
    }

    #[test]
    fn renames_whole_entities_in_text_and_never_actions() {
        let mut renaming = Renaming::default();
        renaming.add(&uid(r#"App::User::"u7""#));
        renaming.add(&uid(r#"App::Action::"view""#));
        let text = r#"permit (principal == App::User::"u7", action == App::Action::"view", resource) when { X::App::User::"u7" == principal };"#;
        let renamed = renaming.text(text);
        assert_eq!(
            renamed,
            "permit (principal == App::User::\"\\u{1}0\", action == App::Action::\"view\", resource) when { X::App::User::\"u7\" == principal };"
        );
        let mut other = Renaming::default();
        other.add(&uid(r#"App::User::"u8""#));
        assert_eq!(
            other.text(&text.replace("\"u7\"", "\"u8\"")),
            renamed.replace("X::App::User::\"u7\"", "X::App::User::\"u8\"")
        );
    }

    #[test]
    fn counterexamples_go_to_placeholders_and_back_into_another_link() {
        let cex = json!({
            "request": {"principal": "App::User::\"u7\"", "action": "App::Action::\"view\"",
                        "resource": "App::Doc::\"d\"", "context": {"by": {"__entity": {"type": "App::User", "id": "u7"}}}},
            "entities": [{"uid": {"type": "App::User", "id": "u7"}, "attrs": {}, "parents": []}]
        });
        let mut seven = Renaming::default();
        seven.add(&uid(r#"App::User::"u7""#));
        let cached = seven.to_placeholders(&cex);
        assert!(!cached.to_string().contains("u7"));
        let mut eight = Renaming::default();
        eight.add(&uid(r#"App::User::"u8""#));
        let back = eight.restore(&cached).unwrap();
        assert_eq!(back.to_string(), cex.to_string().replace("u7", "u8"));
        // An entity the counterexample already names under the new link's name: a miss.
        let mut clash = Renaming::default();
        clash.add(&uid(r#"App::Doc::"d""#));
        assert!(clash.restore(&cached).is_none());
    }
}
