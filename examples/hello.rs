//! A small WASI program: greets, counts the words of every file in /data,
//! writes a summary there, and shows that nothing else is reachable.
use std::fs;

fn main() {
    let who = std::env::args().nth(1).unwrap_or_else(|| "world".into());
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "hi".into());
    println!("{greeting}, {who}!");
    let mut summary = String::new();
    for entry in fs::read_dir("/data").expect("/data is granted") {
        let entry = entry.expect("a directory entry");
        let text = fs::read_to_string(entry.path()).unwrap_or_default();
        let line = format!("{}: {} words\n", entry.file_name().to_string_lossy(), text.split_whitespace().count());
        print!("{line}");
        summary.push_str(&line);
    }
    fs::write("/data/summary.txt", summary).expect("write /data/summary.txt");
    match fs::read_to_string("/etc/passwd") {
        Ok(_) => println!("read /etc/passwd: the sandbox leaked!"),
        Err(e) => println!("/etc/passwd is out of reach: {e}"),
    }
}
