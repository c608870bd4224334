//! AFL target: the API's JSON bodies and query strings through the real router (see
//! `fangpin_fuzz::api`).
//!
//! The database and the sessions are set up on the first input a process receives, not
//! before the loop: AFL's fork server forks the process at the loop, and the threads of the
//! runtime and of SQLite's connections would not survive the fork.

fn main() {
    let api = std::panic::AssertUnwindSafe(std::cell::OnceCell::new());
    afl::fuzz!(|data: &[u8]| {
        api.get_or_init(fangpin_fuzz::api::Api::start).check(data);
    });
}
