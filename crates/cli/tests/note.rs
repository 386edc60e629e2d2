//! `trailproof note` and `trailproof keygen`, run as a user would: exit codes 0/1/2 on real
//! signed-note vectors, and a keygen → sign → verify round trip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailproof"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run trailproof")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh directory for one test under Cargo's per-target temp dir.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-note-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes the note of vector `id` from `signed-note/notes.json`; returns its path and vkeys.
fn vector_note(dir: &Path, id: &str) -> (PathBuf, Vec<String>) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors/signed-note/notes.json");
    let text = std::fs::read_to_string(&path).expect("notes.json must exist");
    let v: Value = serde_json::from_str(&text).expect("notes.json is JSON");
    let case = v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("vector {id} missing"));
    // `note` is the same bytes as the authoritative `note_b64` whenever they are UTF-8, which
    // holds for every vector used here (keeps base64 out of the CLI's dependencies).
    let bytes = case["note"]
        .as_str()
        .unwrap_or_else(|| panic!("{id}: no text form"))
        .to_owned();
    let file = dir.join(format!("{id}.note"));
    std::fs::write(&file, bytes).expect("write note");
    let vkeys = case["trusted_vkeys"]
        .as_array()
        .expect("vkeys")
        .iter()
        .map(|k| k.as_str().expect("vkey").to_owned())
        .collect();
    (file, vkeys)
}

fn verify_args<'a>(vkeys: &'a [String], file: &'a Path) -> Vec<&'a str> {
    let mut args = vec!["note", "verify"];
    for k in vkeys {
        args.extend(["--vkey", k.as_str()]);
    }
    args.push(file.to_str().expect("utf-8 path"));
    args
}

#[test]
fn valid_vectors_exit_0_and_list_signatures() {
    let dir = scratch("valid");
    let (file, vkeys) = vector_note(&dir, "c2sp-spec-example");
    let o = run(&verify_args(&vkeys, &file));
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("example.com/foo+530d903a: verified"),
        "{}",
        stdout(&o)
    );

    let (file, vkeys) = vector_note(&dir, "go-peter-enoch-only-peter-trusted");
    let o = run(&verify_args(&vkeys, &file));
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("PeterNeumann+c74f20a3: verified"), "{out}");
    assert!(out.contains("EnochRoot+af0cfe78: ignored"), "{out}");
}

#[test]
fn rejected_vectors_exit_1() {
    let dir = scratch("rejected");
    for (id, needle) in [
        ("go-invalid-signature-known-key", "FAILED"),
        ("go-no-trusted-key", "REJECTED"),
        ("go-unknown-key-id", "ignored"),
        ("go-malformed-1", "malformed"),
        ("go-malformed-4", "control character"),
        ("go-101-signatures", "signature lines"),
    ] {
        let (file, mut vkeys) = vector_note(&dir, id);
        if vkeys.is_empty() {
            // go-no-trusted-key trusts nothing; trust an unrelated key so the call is legal.
            vkeys.push(
                "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k".into(),
            );
        }
        let o = run(&verify_args(&vkeys, &file));
        assert_eq!(code(&o), 1, "{id}: {}", stdout(&o));
        assert!(stdout(&o).contains(needle), "{id}: {}", stdout(&o));
    }
    // A valid note that is not a checkpoint, verified as one.
    let (file, vkeys) = vector_note(&dir, "c2sp-spec-example");
    let mut args = verify_args(&vkeys, &file);
    args.extend(["--origin", "example.com/foo"]);
    let o = run(&args);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("malformed checkpoint"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch("usage");
    let (file, _) = vector_note(&dir, "go-peter");
    let f = file.to_str().unwrap();
    // No --vkey at all (clap).
    assert_eq!(code(&run(&["note", "verify", f])), 2);
    // Unusable keys: uppercase hex, private key, key ID mismatch.
    for bad in [
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ] {
        let o = run(&["note", "verify", "--vkey", bad, f]);
        assert_eq!(code(&o), 2, "{bad}");
    }
    // Missing note file.
    let missing = dir.join("nope.note");
    let o = run(&[
        "note",
        "verify",
        "--vkey",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn keygen_sign_verify_round_trip() {
    let dir = scratch("roundtrip");
    let origin = "audit.example.com/acme/prod";
    let key = dir.join("log.key");
    let o = run(&["keygen", "--name", origin, "-o", key.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let vkey = stdout(&o).trim().to_owned();
    assert!(vkey.starts_with(&format!("{origin}+")), "{vkey}");
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(key_text.starts_with(&format!("PRIVATE+KEY+{origin}+")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private key file mode");
    }
    // Never overwrite a key.
    assert_ne!(
        code(&run(&[
            "keygen",
            "--name",
            origin,
            "-o",
            key.to_str().unwrap()
        ])),
        0
    );

    // A checkpoint for the empty tree, signed.
    let text = dir.join("cp.txt");
    std::fs::write(
        &text,
        format!("{origin}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"),
    )
    .unwrap();
    let signed = dir.join("cp.note");
    let o = run(&[
        "note",
        "sign",
        "--key",
        key.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
        text.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let s = signed.to_str().unwrap();

    let o = run(&["note", "verify", "--vkey", &vkey, "--origin", origin, s]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("VALID checkpoint"), "{}", stdout(&o));

    // The vkey from a file, with a comment line.
    let vkey_file = dir.join("trusted.vkeys");
    std::fs::write(&vkey_file, format!("# log key\n{vkey}\n")).unwrap();
    let at = format!("@{}", vkey_file.display());
    assert_eq!(
        code(&run(&[
            "note", "verify", "--vkey", &at, "--origin", origin, s
        ])),
        0
    );

    // Wrong origin, tampered size, CRLF: rejected.
    assert_eq!(
        code(&run(&[
            "note",
            "verify",
            "--vkey",
            &vkey,
            "--origin",
            "other.example",
            s
        ])),
        1
    );
    let good = std::fs::read_to_string(&signed).unwrap();
    for (what, bad) in [
        ("size", good.replacen("\n0\n", "\n1\n", 1)),
        ("crlf", good.replace('\n', "\r\n")),
    ] {
        let p = dir.join(format!("bad-{what}.note"));
        std::fs::write(&p, bad).unwrap();
        let o = run(&["note", "verify", "--vkey", &vkey, p.to_str().unwrap()]);
        assert_eq!(code(&o), 1, "{what}: {}", stdout(&o));
    }

    // Co-signing appends: a second key signs the signed note; both verify.
    let key2 = dir.join("second.key");
    let o = run(&[
        "keygen",
        "--name",
        "second.example",
        "-o",
        key2.to_str().unwrap(),
    ]);
    let vkey2 = stdout(&o).trim().to_owned();
    let both = dir.join("both.note");
    let o = run(&[
        "note",
        "sign",
        "--key",
        key2.to_str().unwrap(),
        "-o",
        both.to_str().unwrap(),
        s,
    ]);
    assert_eq!(code(&o), 0);
    let o = run(&[
        "note",
        "verify",
        "--vkey",
        &vkey,
        "--vkey",
        &vkey2,
        both.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(
        stdout(&o).matches(": verified").count(),
        2,
        "{}",
        stdout(&o)
    );
}
