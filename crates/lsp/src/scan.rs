//! Finding structure in Cedar and JSON text without parsing it (it is often half-typed): the
//! core's one lexer ([`cedarcheck_analyzer::lexer`]), which reads strings and `//` comments
//! as Cedar does. The code actions use it to find the end of a bracket.

pub use cedarcheck_analyzer::lexer::matching_bracket;
