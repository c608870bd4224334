//! AFL target: Registry files and department feeds as CSV (see `fangpin_fuzz::files`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        fangpin_fuzz::files::csv(data);
    });
}
