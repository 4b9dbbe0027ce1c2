//! Who may change the data: admins (users with argon2 password hashes), their
//! browser sessions (a tower-sessions store in MongoDB), sign-in throttling,
//! and the API tokens scripts use. Built on the store's MongoDB helpers; knows nothing of HTTP.

mod sessions;
mod throttle;
mod tokens;
mod users;

pub use sessions::MongoSessionStore;
pub use throttle::LoginThrottle;
pub use tokens::{TokenInfo, Tokens};
pub use users::{normalize_email, Users};
