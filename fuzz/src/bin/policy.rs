//! AFL target: The screening policy and its overrides (see `fangpin_fuzz::policy`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        fangpin_fuzz::policy::check(data);
    });
}
