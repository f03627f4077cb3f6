// bench/run's QuickJS workload: builds, sorts, serialises and parses
// objects, and runs a regular expression over the text: the interpreter's
// own work, no system calls but the output.
const rows = [];
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
for (let i = 0; i < 60000; i++) {
  rows.push({ id: i, name: "item" + (rand() % 1000), score: rand() % 10007, tags: ["a" + (i % 7), "b" + (i % 13)] });
}
rows.sort((a, b) => a.score - b.score || a.id - b.id);
const text = JSON.stringify(rows);
const back = JSON.parse(text);
const counts = {};
for (const m of text.matchAll(/"name":"(item\d+)"/g)) counts[m[1]] = (counts[m[1]] || 0) + 1;
const top = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
console.log(back.length, text.length, back[0].id, back[back.length - 1].score);
for (const [k, v] of top) console.log(k, v);
