#!/usr/bin/env bash
# Round-trip an OCI image layout through a registry with skopeo and check
# that nothing was re-encoded on the way.
#
# Usage: skopeo_roundtrip.sh HOST:PORT
#
# Builds, offline, an OCI image layout holding two tags:
#   single  an image manifest (linux/amd64)
#   multi   an image index over linux/amd64 and linux/arm64 images
# copies both to docker://HOST:PORT/interop/skopeo-<random> over plain HTTP
# (digests preserved, every platform of the index), copies them back into a
# fresh layout, and checks that manifest digests, manifest bytes and every
# blob are identical, and that `skopeo inspect --raw` serves the exact bytes.
set -euo pipefail

if [[ $# -ne 1 || "$1" == */* || "$1" != *:* ]]; then
    echo "usage: $0 HOST:PORT" >&2
    exit 2
fi
HOST="$1"
REPO="interop/skopeo-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
DEST="docker://$HOST/$REPO"

SKOPEO=(skopeo --insecure-policy)   # no signature policy file needed
WORK="$(mktemp -d -t skopeo-interop.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
IN="$WORK/in"
OUT="$WORK/out"

step() { echo "==> $*"; }
ok() { echo "    ok: $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v skopeo >/dev/null || fail "skopeo is not installed"
command -v python3 >/dev/null || fail "python3 is not installed"
echo "$(skopeo --version), registry http://$HOST, repository $REPO"

# ---------------------------------------------------------------------------
step "build OCI image layout in $IN"
mkdir -p "$IN/blobs/sha256" "$WORK/rootfs"

# make_layer NAME DIR: a tar.gz of DIR that is the same bytes on every build
# (fixed order, owner and mtime; gzip -n leaves out name and time). Prints
# "<gz digest> <gz size> <diff_id>" and stores the blob.
make_layer() {
    local tarf="$WORK/$1.tar" gz="$WORK/$1.tar.gz" d
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
        --format=gnu -C "$2" -cf "$tarf" .
    gzip -n -9 -c "$tarf" >"$gz"
    d="$(sha256sum "$gz" | cut -d' ' -f1)"
    mv "$gz" "$IN/blobs/sha256/$d"
    echo "$d $(stat -c %s "$IN/blobs/sha256/$d") sha256:$(sha256sum "$tarf" | cut -d' ' -f1)"
}

# A base layer shared by both images, and a small layer per platform. The
# per-platform layer carries the run's repository name so each run pushes
# at least some blobs the registry has not seen.
mkdir -p "$WORK/rootfs/base/etc" "$WORK/rootfs/amd64/app" "$WORK/rootfs/arm64/app"
printf 'cairn interop base layer\n' >"$WORK/rootfs/base/etc/motd"
for arch in amd64 arm64; do
    printf '%s %s\n' "$arch" "$REPO" >"$WORK/rootfs/$arch/app/platform"
done
BASE="$(make_layer base "$WORK/rootfs/base")"
AMD64="$(make_layer amd64 "$WORK/rootfs/amd64")"
ARM64="$(make_layer arm64 "$WORK/rootfs/arm64")"

# Configs, manifests, the index and index.json are written by Python so the
# JSON is exact; each blob is stored under the sha256 of its bytes.
python3 - "$IN" "$BASE" "$AMD64" "$ARM64" <<'PY'
import hashlib, json, os, sys

out, base, amd64, arm64 = sys.argv[1], *(a.split() for a in sys.argv[2:])

def put(obj):
    data = json.dumps(obj, indent=2, sort_keys=True).encode() + b"\n"
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}

def layer(l):
    return {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": "sha256:" + l[0], "size": int(l[1])}

def image(arch, own):
    config = put({
        "architecture": arch, "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/true"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [base[2], own[2]]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "interop"}] * 2,
    })
    manifest = put({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [layer(base), layer(own)],
        "annotations": {"org.opencontainers.image.title": f"interop {arch}"},
    })
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
            "platform": {"architecture": arch, "os": "linux"}}

amd, arm = image("amd64", amd64), image("arm64", arm64)
index = put({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [amd, arm],
})
ref = "org.opencontainers.image.ref.name"
single = {k: v for k, v in amd.items() if k != "platform"}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {**single, "annotations": {ref: "single"}},
            {"mediaType": "application/vnd.oci.image.index.v1+json", **index,
             "annotations": {ref: "multi"}},
        ],
    }, f, indent=2)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY
ok "$(ls "$IN/blobs/sha256" | wc -l) blobs: 3 layers, 2 configs, 2 manifests, 1 index"

# ref_digest LAYOUT TAG: the digest index.json gives for TAG.
ref_digest() {
    python3 - "$1/index.json" "$2" <<'PY'
import json, sys
idx = json.load(open(sys.argv[1]))
hits = [m["digest"] for m in idx["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]]
if len(hits) != 1:
    sys.exit(f"{sys.argv[1]}: {len(hits)} entries for {sys.argv[2]!r}")
print(hits[0])
PY
}

# ---------------------------------------------------------------------------
# Push: --preserve-digests makes skopeo fail rather than rewrite a manifest;
# --all copies every platform of the index.
step "skopeo copy oci:$IN:single -> $DEST:single"
"${SKOPEO[@]}" copy --quiet --preserve-digests --dest-tls-verify=false \
    "oci:$IN:single" "$DEST:single" || fail "push of the single image failed"
ok pushed
step "skopeo copy --all oci:$IN:multi -> $DEST:multi"
"${SKOPEO[@]}" copy --quiet --all --preserve-digests --dest-tls-verify=false \
    "oci:$IN:multi" "$DEST:multi" || fail "push of the image index failed"
ok pushed

# ---------------------------------------------------------------------------
# The registry must serve the exact bytes that were pushed, for both tags and
# for each child manifest of the index by digest.
for tag in single multi; do
    want="$(ref_digest "$IN" "$tag")"
    step "skopeo inspect --raw $DEST:$tag"
    "${SKOPEO[@]}" inspect --tls-verify=false --raw "$DEST:$tag" >"$WORK/raw-$tag" \
        || fail "inspect of $tag failed"
    cmp -s "$WORK/raw-$tag" "$IN/blobs/sha256/${want#sha256:}" \
        || fail "registry serves different manifest bytes for $tag (want $want, got sha256:$(sha256sum <"$WORK/raw-$tag" | cut -d' ' -f1))"
    ok "bytes identical to $want"
done
# (Assigned first: a failure inside a for-list substitution would go unseen.)
multi="$(ref_digest "$IN" multi)"
children="$(python3 -c 'import json, sys
print(" ".join(m["digest"] for m in json.load(open(sys.argv[1]))["manifests"]))' \
    "$IN/blobs/sha256/${multi#sha256:}")"
for child in $children; do
    step "skopeo inspect --raw $DEST@$child"
    "${SKOPEO[@]}" inspect --tls-verify=false --raw "$DEST@$child" >"$WORK/raw-child" \
        || fail "inspect of $child failed"
    cmp -s "$WORK/raw-child" "$IN/blobs/sha256/${child#sha256:}" \
        || fail "registry serves different bytes for $child"
    ok "bytes identical"
done

# ---------------------------------------------------------------------------
step "skopeo copy $DEST:single -> oci:$OUT:single"
"${SKOPEO[@]}" copy --quiet --preserve-digests --src-tls-verify=false \
    "$DEST:single" "oci:$OUT:single" || fail "pull of the single image failed"
ok pulled
step "skopeo copy --all $DEST:multi -> oci:$OUT:multi"
"${SKOPEO[@]}" copy --quiet --all --preserve-digests --src-tls-verify=false \
    "$DEST:multi" "oci:$OUT:multi" || fail "pull of the image index failed"
ok pulled

# ---------------------------------------------------------------------------
step "compare input and output layouts"
for tag in single multi; do
    a="$(ref_digest "$IN" "$tag")"
    b="$(ref_digest "$OUT" "$tag")"
    [[ "$a" == "$b" ]] || fail "index.json digest for $tag: in $a, out $b"
    ok "$tag: $a in both index.json"
done
# Same set of blobs, each byte-identical and stored under its own digest.
diff <(cd "$IN/blobs/sha256" && ls) <(cd "$OUT/blobs/sha256" && ls) >"$WORK/blobdiff" \
    || fail "blob sets differ (< input, > output):
$(cat "$WORK/blobdiff")"
n=0
for f in "$IN"/blobs/sha256/*; do
    d="$(basename "$f")"
    cmp -s "$f" "$OUT/blobs/sha256/$d" || fail "blob $d differs"
    [[ "$(sha256sum "$OUT/blobs/sha256/$d" | cut -d' ' -f1)" == "$d" ]] \
        || fail "output blob $d does not hash to its name"
    n=$((n + 1))
done
ok "$n blobs byte-identical"

echo "PASS"
