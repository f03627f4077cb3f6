//! Exercises `wasi:config/store` and `wasi:keyvalue` (store, atomics,
//! batch) as `warden run -S config -S config-var=... -S keyvalue
//! -S keyvalue-in-memory-data=...` provides them. The test runs it with
//! `greeting=hello`, `empty=` as config and `count=41`, `name=warden` as
//! the store's seed. Prints `ok N checks`, or `FAIL` lines and exits 1.

mod config {
    wit_bindgen::generate!({ path: "../../wit/config", world: "wasi:config/imports" });
}
mod keyvalue {
    wit_bindgen::generate!({ path: "../../wit/keyvalue", world: "wasi:keyvalue/imports" });
}

use config::wasi::config::store as cfg;
use keyvalue::wasi::keyvalue::{atomics, batch, store as kv};

struct Checks {
    n: u32,
    failed: u32,
}

impl Checks {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, name: &str, want: T, got: T) {
        self.n += 1;
        if want != got {
            self.failed += 1;
            println!("FAIL {name}: expected {want:?} got {got:?}");
        }
    }
}

fn main() {
    let mut c = Checks { n: 0, failed: 0 };
    let ok = |r: Result<(), kv::Error>| r.map_err(|e| format!("{e:?}"));

    // wasi:config
    c.eq(
        "config get greeting",
        Ok(Some("hello".to_string())),
        cfg::get("greeting").map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "config get empty",
        Ok(Some(String::new())),
        cfg::get("empty").map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "config get missing",
        Ok(None),
        cfg::get("missing").map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "config get-all (in key order)",
        Ok(vec![
            ("empty".to_string(), String::new()),
            ("greeting".to_string(), "hello".to_string()),
        ]),
        cfg::get_all().map_err(|e| format!("{e:?}")),
    );

    // wasi:keyvalue/store
    c.eq(
        "open a store that does not exist",
        true,
        matches!(kv::open("nope"), Err(kv::Error::NoSuchStore)),
    );
    let b = kv::open("").expect("the in-memory store opens");
    c.eq(
        "get seeded name",
        Ok(Some(b"warden".to_vec())),
        b.get("name").map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "get missing",
        Ok(None),
        b.get("missing").map_err(|e| format!("{e:?}")),
    );
    c.eq("set", Ok(()), ok(b.set("k", b"v")));
    c.eq(
        "exists k",
        Ok(true),
        b.exists("k").map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "get k",
        Ok(Some(b"v".to_vec())),
        b.get("k").map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "list-keys",
        Ok(vec![
            "count".to_string(),
            "k".to_string(),
            "name".to_string(),
        ]),
        b.list_keys(None)
            .map(|r| r.keys)
            .map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "list-keys from a cursor past the end",
        Ok(Vec::<String>::new()),
        b.list_keys(Some(u64::MAX))
            .map(|r| r.keys)
            .map_err(|e| format!("{e:?}")),
    );
    c.eq("delete k", Ok(()), ok(b.delete("k")));
    c.eq(
        "exists k after delete",
        Ok(false),
        b.exists("k").map_err(|e| format!("{e:?}")),
    );

    // wasi:keyvalue/atomics
    c.eq(
        "increment count",
        Ok(42),
        atomics::increment(&b, "count", 1).map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "increment a new key",
        Ok(5),
        atomics::increment(&b, "fresh", 5).map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "increment a non-number",
        true,
        atomics::increment(&b, "name", 1).is_err(),
    );

    // wasi:keyvalue/batch
    c.eq(
        "set-many",
        Ok(()),
        batch::set_many(
            &b,
            &[
                ("a".to_string(), b"1".to_vec()),
                ("b".to_string(), b"2".to_vec()),
            ],
        )
        .map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "get-many",
        Ok(vec![
            Some(("a".to_string(), b"1".to_vec())),
            None,
            Some(("b".to_string(), b"2".to_vec())),
        ]),
        batch::get_many(&b, &["a".to_string(), "zz".to_string(), "b".to_string()])
            .map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "delete-many",
        Ok(()),
        batch::delete_many(&b, &["a".to_string(), "b".to_string()]).map_err(|e| format!("{e:?}")),
    );
    c.eq(
        "a gone",
        Ok(false),
        b.exists("a").map_err(|e| format!("{e:?}")),
    );

    // Each open starts from the seed, as in Wasmtime.
    let again = kv::open("").expect("opens again");
    c.eq(
        "a second open sees the seed",
        Ok(Some(b"41".to_vec())),
        again.get("count").map_err(|e| format!("{e:?}")),
    );

    if c.failed > 0 {
        println!("{} of {} checks failed", c.failed, c.n);
        std::process::exit(1);
    }
    println!("ok {} checks", c.n);
}
