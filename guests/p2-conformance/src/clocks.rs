//! wasi:clocks — monotonic-clock and wall-clock.

use crate::check::{eq, truth};
use wasip2::clocks::{monotonic_clock, wall_clock};
use wasip2::io::poll;

pub fn run() {
    let a = monotonic_clock::now();
    let b = monotonic_clock::now();
    truth(
        "clocks.monotonic.now.non-decreasing",
        b >= a,
        ">= first reading",
        (a, b),
    );
    let res = monotonic_clock::resolution();
    truth(
        "clocks.monotonic.resolution",
        res > 0 && res <= 1_000_000_000,
        "0 < r <= 1 s",
        res,
    );

    // subscribe-duration fires after (at least) its duration
    let t0 = monotonic_clock::now();
    let p = monotonic_clock::subscribe_duration(20_000_000);
    eq("clocks.subscribe-duration.not-yet", p.ready(), false);
    p.block();
    let waited = monotonic_clock::now() - t0;
    truth(
        "clocks.subscribe-duration.block",
        waited >= 20_000_000,
        ">= 20 ms",
        waited,
    );
    eq("clocks.subscribe-duration.ready-after", p.ready(), true);
    drop(p);
    eq(
        "clocks.subscribe-duration.zero",
        monotonic_clock::subscribe_duration(0).ready(),
        true,
    );

    // subscribe-instant: past instants are ready, future ones fire on time
    eq(
        "clocks.subscribe-instant.past",
        monotonic_clock::subscribe_instant(0).ready(),
        true,
    );
    let now = monotonic_clock::now();
    eq(
        "clocks.subscribe-instant.now",
        monotonic_clock::subscribe_instant(now).ready(),
        true,
    );
    let when = monotonic_clock::now() + 15_000_000;
    let p = monotonic_clock::subscribe_instant(when);
    eq("clocks.subscribe-instant.future", p.ready(), false);
    let r = poll::poll(&[&p]);
    eq("clocks.subscribe-instant.poll", r, vec![0]);
    let after = monotonic_clock::now();
    truth(
        "clocks.subscribe-instant.fired-on-time",
        after >= when,
        ">= the instant",
        (when, after),
    );
    drop(p);
    let far = monotonic_clock::subscribe_instant(u64::MAX);
    eq("clocks.subscribe-instant.far", far.ready(), false);
    drop(far);

    // wall clock
    let w = wall_clock::now();
    // 2020-01-01 .. 2200-01-01
    truth(
        "clocks.wall.now.seconds",
        w.seconds > 1_577_836_800 && w.seconds < 7_258_118_400,
        "a date between 2020 and 2200",
        w,
    );
    truth(
        "clocks.wall.now.nanoseconds",
        w.nanoseconds < 1_000_000_000,
        "< 1e9",
        w.nanoseconds,
    );
    let r = wall_clock::resolution();
    truth(
        "clocks.wall.resolution.nanoseconds",
        r.nanoseconds < 1_000_000_000,
        "< 1e9",
        r,
    );
    truth(
        "clocks.wall.resolution",
        (r.seconds > 0 || r.nanoseconds > 0) && r.seconds <= 1,
        "0 < r <= 1 s",
        r,
    );
}
