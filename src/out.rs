//! What the command line prints (输出), and how it ends when something goes wrong.
//!
//! Every line goes through [`visible`]: names, notes, file values and file names come from
//! data that anybody may have typed, and a raw escape sequence in them (`ESC [2J` clears
//! the screen, others retitle the window or fake earlier output) must reach the terminal
//! as characters to read, never as commands. Printing happens here and nowhere else, so no
//! value can skip the sanitiser (`print!`/`println!` are refused by clippy in this crate).
//!
//! A reader that goes away (`fangpin lead list | head -1`) ends the program quietly with
//! status 0: Rust ignores SIGPIPE, so the write fails with `BrokenPipe`, and that is the
//! reader's choice, not an error. A panic — a defect — prints one Chinese sentence; its
//! details go to the log (`serve`) or follow with `-v`. Exit statuses: docs/operations.md.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit status after a panic (EX_SOFTWARE of sysexits.h: an internal error).
pub(crate) const EXIT_INTERNAL: u8 = 70;

/// Prints a line on stdout, sanitised.
macro_rules! outln {
    () => {
        $crate::out::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints text on stdout, sanitised, without adding a line end.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!($($arg)*))
    };
}

/// Prints a line on stderr, sanitised.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Shows control characters as visible symbols: C0 controls as their pictures (`␛` for
/// ESC, `␍` for a carriage return, `␇` for the bell), DEL as `␡`, C1 controls and the
/// bidirectional overrides (which reorder what is shown) as `\u{…}`. Line ends and tabs
/// stay: they lay out the output and cannot take control of a terminal.
pub(crate) fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !hidden(c) {
            out.push(c);
        } else if (c as u32) < 0x20 {
            out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'));
        } else if c == '\u{7f}' {
            out.push('\u{2421}');
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// A character a terminal would act on, or that reorders the text around it.
fn hidden(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

/// Writes to stdout; a closed pipe ends the program quietly, another failure with status 1.
pub(crate) fn stdout(args: fmt::Arguments<'_>) {
    let text = fmt::format(args);
    let written = {
        let mut w = std::io::stdout().lock();
        w.write_all(visible(&text).as_bytes())
            .and_then(|()| w.flush())
    };
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        stderr(format_args!("错误：无法写出结果：{e}\n"));
        std::process::exit(1);
    }
}

/// Writes to stderr; if even that fails there is nobody left to tell.
pub(crate) fn stderr(args: fmt::Arguments<'_>) {
    let text = fmt::format(args);
    let _ = std::io::stderr()
        .lock()
        .write_all(visible(&text).as_bytes());
}

/// Replaces Rust's panic message (a backtrace hint in English) with one Chinese sentence.
/// The details (message, place, and with `-vv` the backtrace) are printed with `-v`; a
/// server logs them as one JSON line instead, since its stderr is the log.
pub(crate) fn on_panic(verbose: u8, serving: bool) {
    static TOLD: AtomicBool = AtomicBool::new(false);
    std::panic::set_hook(Box::new(move |info| {
        if serving {
            tracing::error!(panic = %info, "internal error");
            return;
        }
        // A panic in a worker thread is raised again where it is joined: say it once.
        if !TOLD.swap(true, Ordering::Relaxed) {
            errln!(
                "内部错误：程序遇到意外情况，已中止本次操作；未完成的改动不会写入数据库。\
                 请加 -v 重新运行以查看详情，并将其告知系统维护人员。"
            );
        }
        if verbose > 0 {
            errln!("详情：{info}");
        }
        if verbose > 1 {
            errln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(visible("张三"), "张三");
        assert_eq!(visible("a\tb\nc"), "a\tb\nc");
        assert_eq!(visible("李\u{1b}[2J四"), "李␛[2J四");
        assert_eq!(visible("\u{1b}]0;title\u{7}"), "␛]0;title␇");
        assert_eq!(visible("覆盖\r"), "覆盖␍");
        assert_eq!(visible("\u{7f}\u{9b}2J"), "␡\\u{9b}2J");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed");
    }
}
