//! AFL target: The single-value parsers (see `fangpin_fuzz::fields`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        fangpin_fuzz::fields::check(data);
    });
}
