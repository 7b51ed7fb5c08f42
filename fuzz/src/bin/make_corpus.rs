//! Writes the seed corpora: `cargo run --bin make_corpus` (from `fuzz/`).
//! Replaces `corpus/decode_validate/` and `corpus/router/`.

use std::path::Path;

fn write(dir: &Path, seeds: Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let (count, mut bytes) = (seeds.len(), 0);
    for (name, data) in seeds {
        bytes += data.len();
        std::fs::write(dir.join(name), data)?;
    }
    println!("{}: {count} files, {bytes} bytes", dir.display());
    Ok(())
}

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    write(
        &root.join("decode_validate"),
        workshop_fuzz::seeds::decode_validate(),
    )?;
    write(&root.join("router"), workshop_fuzz::seeds::router())?;
    Ok(())
}
