//! The editor features, as plain data (rust-analyzer's `ide` layer): functions from source
//! texts and a byte offset to answers with byte [`Span`](crate::Span)s. They do no IO and
//! know nothing of LSP: the language server reads the buffers (and the set's schema through
//! them), calls these, and converts the spans to the protocol's ranges.
//!
//! - [`hover`]: what the schema declares about an attribute access or a name, and a rule's
//!   documentation;
//! - [`definition`]: where the schema declares an entity type or action;
//! - [`symbols`]: the policies and templates of a file;
//! - [`format`]: a policy file formatted as `cedar format` does (also `cedarcheck fmt`);
//! - [`names`]: the entity types and actions a policy names, and their declarations in a
//!   schema text, which hover and definition share.
//!
//! Every scanner here reads Cedar text through the one [`lexer`](crate::lexer).

pub mod definition;
pub mod format;
pub mod hover;
pub mod names;
pub mod symbols;

pub use definition::{definition, Definition};
pub use format::{format, FormatError};
pub use hover::{attribute_at, hover, rule_markdown, AttributeHover, Hover, SchemaText};
pub use names::{declaration, name_at, Name};
pub use symbols::{symbols, Symbol, SymbolKind};
