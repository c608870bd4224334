//! AFL target: The screening policy, its overrides and a county's synonym document (see
//! `fangpin_fuzz::policy`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        fangpin_fuzz::policy::check(data);
    });
}
