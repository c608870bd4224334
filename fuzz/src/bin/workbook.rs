//! AFL target: Registry files and department feeds as workbooks (see `fangpin_fuzz::files`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        fangpin_fuzz::files::workbook(data);
    });
}
