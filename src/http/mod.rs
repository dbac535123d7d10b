//! HTTP primitives every other module uses: cookies, query strings and
//! form bodies, URLs, HTML escaping, and Tailor's own responses. A leaf: it imports
//! nothing of the crate.

mod cookie;
pub mod html;
pub mod query;
mod response;
mod url;

pub use cookie::{cookie_values, single_cookie, DuplicateCookie};
pub use response::{HeaderEdit, Response, ResponseHead};
pub use url::{host_of, path_and_query_of, path_of, query_of};
