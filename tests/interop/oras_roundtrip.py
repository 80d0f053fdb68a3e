#!/usr/bin/env python3
"""Round-trip an artifact (and optionally its referrers) through a registry
with the ORAS Python SDK.

Usage: oras_roundtrip.py HOST:PORT [--referrers]

Talks plain HTTP to the registry at HOST:PORT. Without --referrers it only
pushes an artifact with the SDK's push API and pulls it back. With
--referrers it then attaches two referrers to that artifact (one through the
SDK's push API with `subject=`, one hand-built manifest with an explicit
`artifactType`) and checks the registry's referrers API lists both.

Exit status: 0 on success, 1 on a failed check, 2 on a usage error.
"""

import argparse
import hashlib
import json
import os
import secrets
import sys
import tempfile

import requests

import oras.oci
import oras.provider

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

# The artifact under test: its "type" is carried by the config media type,
# which is the only way the SDK's push API lets a caller type an artifact.
ARTIFACT_CONFIG_TYPE = "application/vnd.example.interop.config.v1+json"
DATA_TYPE = "application/vnd.example.interop.data.v1"
NOTES_TYPE = "application/vnd.example.interop.notes.v1+json"

# Referrer 1 goes through push(subject=...): no artifactType field, so its
# type is the config media type, which the referrers API must fall back to.
SBOM_TYPE = "application/vnd.example.sbom.v1"
# Referrer 2 is built by hand with an explicit artifactType and the empty
# config descriptor, the shape image-spec 1.1 recommends for artifacts.
SIGNATURE_TYPE = "application/vnd.example.signature.v1"

EMPTY_JSON = b"{}"


class CheckFailed(Exception):
    """A check against the registry did not hold."""


def step(msg):
    print(f"==> {msg}", flush=True)


def ok(msg):
    print(f"    ok: {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def describe_error(resp):
    """Status line plus the OCI error codes of a failed response."""
    text = f"HTTP {resp.status_code} {resp.reason}"
    try:
        codes = [e.get("code", "?") for e in resp.json().get("errors", [])]
        if codes:
            text += f" ({', '.join(codes)})"
    except ValueError:
        pass
    return text


class Roundtrip:
    def __init__(self, hostport):
        self.hostport = hostport
        self.base = f"http://{hostport}"
        self.repo = f"interop/oras-{secrets.token_hex(4)}"
        # insecure=True makes the SDK use http://; tls_verify is moot then.
        self.reg = oras.provider.Registry(
            hostname=hostport, insecure=True, tls_verify=False
        )
        self.tmp = tempfile.TemporaryDirectory(prefix="oras-interop-")
        self.subject = None  # oras.oci.Subject of the pushed artifact

    def ref(self, tag_or_digest):
        sep = "@" if tag_or_digest.startswith("sha256:") else ":"
        return f"{self.hostport}/{self.repo}{sep}{tag_or_digest}"

    def get(self, path, **kwargs):
        # The SDK's own session, with a timeout. Plain session calls are used
        # for reads because the SDK's do_request retries failures with
        # back-off sleeps of minutes, which would hide a fast, clear failure.
        return self.reg.session.get(self.base + path, timeout=30, **kwargs)

    def fetch_manifest(self, reference, media_type=OCI_MANIFEST):
        resp = self.get(
            f"/v2/{self.repo}/manifests/{reference}",
            headers={"Accept": media_type},
        )
        check(
            resp.status_code == 200,
            f"GET manifest {reference}: {describe_error(resp)}",
        )
        return resp

    # -- a. push and pull an artifact -------------------------------------

    def ping(self):
        step(f"GET {self.base}/v2/")
        try:
            resp = self.get("/v2/")
        except requests.RequestException as e:
            raise CheckFailed(f"registry at {self.base} is not reachable: {e}")
        check(resp.status_code == 200, f"GET /v2/: {describe_error(resp)}")
        ok("registry answers the v2 API")

    def push_and_pull(self):
        src = os.path.join(self.tmp.name, "src")
        os.mkdir(src)
        files = {
            "data.bin": (secrets.token_bytes(256 * 1024 + 17), DATA_TYPE),
            "notes.json": (
                json.dumps({"nonce": secrets.token_hex(16)}).encode(),
                NOTES_TYPE,
            ),
        }
        for name, (data, _) in files.items():
            write_file(os.path.join(src, name), data)
        config = json.dumps({"interop": "oras", "repo": self.repo}).encode()
        config_path = os.path.join(src, "config.json")
        write_file(config_path, config)

        target = self.ref("v1")
        step(f"push {target} (2 files, config {ARTIFACT_CONFIG_TYPE})")
        # "path:mediatype" is the SDK's way to give each blob a media type.
        resp = self.reg.push(
            target,
            files=[f"{os.path.join(src, n)}:{mt}" for n, (_, mt) in files.items()],
            manifest_config=f"{config_path}:{ARTIFACT_CONFIG_TYPE}",
            manifest_annotations={"org.example.interop": "oras-roundtrip"},
            disable_path_validation=True,
            quiet=True,
        )
        check(resp.status_code == 201, f"manifest PUT: {describe_error(resp)}")
        pushed_digest = resp.headers.get("Docker-Content-Digest")
        ok(f"pushed, Docker-Content-Digest {pushed_digest}")

        # The subject of the referrers must be the exact bytes the registry
        # holds, so take digest and size from what it serves, not from a
        # re-serialisation on this side.
        step("GET the manifest back and check it")
        mresp = self.fetch_manifest("v1")
        raw = mresp.content
        digest = sha256(raw)
        check(
            pushed_digest in (None, digest),
            f"PUT said digest {pushed_digest}, served bytes hash to {digest}",
        )
        served = mresp.headers.get("Docker-Content-Digest")
        check(
            served in (None, digest),
            f"GET Docker-Content-Digest {served} != sha256 of body {digest}",
        )
        ctype = mresp.headers.get("Content-Type", "")
        check(
            ctype.split(";")[0].strip() == OCI_MANIFEST,
            f"manifest Content-Type is {ctype!r}, want {OCI_MANIFEST}",
        )
        manifest = json.loads(raw)
        check(
            manifest["config"]["mediaType"] == ARTIFACT_CONFIG_TYPE
            and manifest["config"]["digest"] == sha256(config),
            f"config descriptor is {manifest['config']}",
        )
        layers = {
            l["annotations"]["org.opencontainers.image.title"]: l
            for l in manifest["layers"]
        }
        check(sorted(layers) == sorted(files), f"layers are {sorted(layers)}")
        for name, (data, mt) in files.items():
            l = layers[name]
            check(
                (l["mediaType"], l["digest"], l["size"]) == (mt, sha256(data), len(data)),
                f"layer {name} descriptor is {l}",
            )
        ok(f"{digest}, {len(raw)} bytes, config and 2 layers as pushed")

        step(f"pull {target} into a fresh directory")
        out = os.path.join(self.tmp.name, "pulled")
        os.mkdir(out)
        pulled = self.reg.pull(target, outdir=out)
        check(
            sorted(os.path.basename(p) for p in pulled) == sorted(files),
            f"pulled files are {pulled}",
        )
        for name, (data, _) in files.items():
            got = read_file(os.path.join(out, name))
            check(
                got == data,
                f"{name}: pulled {len(got)} bytes differ from the {len(data)} pushed",
            )
        cfg_out = os.path.join(self.tmp.name, "config.pulled")
        self.reg.download_blob(self.ref("v1"), sha256(config), cfg_out)
        check(read_file(cfg_out) == config, "config blob differs from the one pushed")
        ok("both files and the config blob are byte-identical")

        self.subject = oras.oci.Subject(
            mediaType=OCI_MANIFEST, digest=digest, size=len(raw)
        )

    # -- b. push two referrers ----------------------------------------------

    def check_oci_subject(self, resp, what):
        # distribution-spec v1.1: a registry with the referrers API answers a
        # manifest PUT that has a subject with OCI-Subject. Clients read its
        # absence as "no referrers API" and fall back to the tag schema.
        got = resp.headers.get("OCI-Subject")
        check(
            got == self.subject.digest,
            f"{what}: OCI-Subject header is {got!r}, want {self.subject.digest}"
            + (
                " (a registry with the referrers API must send it; this one"
                " seems to lack the API: run without --referrers)"
                if got is None
                else ""
            ),
        )

    def push_sbom_referrer(self):
        d = os.path.join(self.tmp.name, "sbom")
        os.mkdir(d)
        sbom = json.dumps(
            {"spdxVersion": "SPDX-2.3", "name": self.repo, "nonce": secrets.token_hex(8)}
        ).encode()
        sbom_path = os.path.join(d, "sbom.spdx.json")
        write_file(sbom_path, sbom)
        cfg_path = os.path.join(d, "config.json")
        write_file(cfg_path, EMPTY_JSON)

        target = self.ref("v1-sbom")
        step(f"push referrer {target} via push(subject=...), type {SBOM_TYPE}")
        resp = self.reg.push(
            target,
            files=[f"{sbom_path}:application/spdx+json"],
            manifest_config=f"{cfg_path}:{SBOM_TYPE}",
            subject=self.subject,
            disable_path_validation=True,
            quiet=True,
        )
        check(resp.status_code == 201, f"referrer PUT: {describe_error(resp)}")
        self.check_oci_subject(resp, "sbom referrer PUT")
        raw = self.fetch_manifest("v1-sbom").content
        m = json.loads(raw)
        check(
            m.get("subject", {}).get("digest") == self.subject.digest,
            f"sbom referrer as stored has subject {m.get('subject')}",
        )
        ok(f"{sha256(raw)}, OCI-Subject {self.subject.digest}")
        return {"digest": sha256(raw), "size": len(raw), "artifactType": SBOM_TYPE}

    def push_signature_referrer(self):
        step(f"push referrer by digest via upload_blob + manifest PUT, artifactType {SIGNATURE_TYPE}")
        d = os.path.join(self.tmp.name, "sig")
        os.mkdir(d)
        payload = secrets.token_bytes(512)
        payload_path = os.path.join(d, "sig.bin")
        write_file(payload_path, payload)
        empty_path = os.path.join(d, "empty.json")
        write_file(empty_path, EMPTY_JSON)

        container = self.reg.get_container(self.ref("v1"))
        empty = {"mediaType": OCI_EMPTY, "digest": sha256(EMPTY_JSON), "size": 2}
        layer = {
            "mediaType": "application/vnd.example.signature.payload.v1",
            "digest": sha256(payload),
            "size": len(payload),
        }
        for path, desc in ((empty_path, empty), (payload_path, layer)):
            resp = self.reg.upload_blob(path, container, desc)
            check(
                resp.status_code in (200, 201, 202),
                f"blob upload {desc['digest']}: {describe_error(resp)}",
            )

        annotations = {
            "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
            "org.example.signer": "interop",
        }
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": SIGNATURE_TYPE,
            "config": empty,
            "layers": [layer],
            "subject": {
                "mediaType": self.subject.mediaType,
                "digest": self.subject.digest,
                "size": self.subject.size,
            },
            "annotations": annotations,
        }
        # Serialise once and PUT those exact bytes by their digest, so the
        # referrer is untagged and its digest is known before the push.
        raw = json.dumps(manifest, separators=(",", ":")).encode()
        digest = sha256(raw)
        url = f"{self.reg.prefix}://{container.manifest_url(digest)}"
        resp = self.reg.do_request(
            url, "PUT", data=raw, headers={"Content-Type": OCI_MANIFEST}
        )
        check(resp.status_code == 201, f"referrer PUT: {describe_error(resp)}")
        got = resp.headers.get("Docker-Content-Digest")
        check(got in (None, digest), f"PUT answered digest {got}, want {digest}")
        self.check_oci_subject(resp, "signature referrer PUT")
        check(self.fetch_manifest(digest).content == raw, "stored referrer bytes differ")
        ok(f"{digest} (untagged)")
        return {
            "digest": digest,
            "size": len(raw),
            "artifactType": SIGNATURE_TYPE,
            "annotations": annotations,
        }

    # -- c. the referrers API -----------------------------------------------

    def list_referrers(self, digest, artifact_type=None):
        """All descriptors of GET /v2/<repo>/referrers/<digest>, following
        Link pages. Returns (descriptors, filter header of the first page)."""
        path = f"/v2/{self.repo}/referrers/{digest}"
        params = {"artifactType": artifact_type} if artifact_type else None
        descs, filters, pages = [], None, 0
        while path:
            resp = self.get(path, params=params)
            if resp.status_code == 404 and pages == 0:
                raise CheckFailed(
                    f"GET {path}: 404: this registry has no referrers API "
                    "(run without --referrers to test push/pull only)"
                )
            check(resp.status_code == 200, f"GET {path}: {describe_error(resp)}")
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
            check(ctype == OCI_INDEX, f"referrers Content-Type is {ctype!r}, want {OCI_INDEX}")
            body = resp.json()
            check(
                body.get("schemaVersion") == 2 and body.get("mediaType") == OCI_INDEX,
                f"referrers answer is not an OCI image index: {body}",
            )
            check(isinstance(body.get("manifests"), list), "referrers index has no manifests list")
            descs.extend(body["manifests"])
            if pages == 0:
                filters = resp.headers.get("OCI-Filters-Applied")
            pages += 1
            check(pages <= 100, "more than 100 referrers pages")
            # The next page is in Link: <url>; rel="next". Its URL already
            # carries any filter, so drop ours.
            link = resp.links.get("next", {}).get("url")
            path, params = (link[link.index("/v2/"):] if link else None), None
        return descs, filters

    def check_referrers(self, expected):
        step(f"GET /v2/{self.repo}/referrers/{self.subject.digest}")
        descs, _ = self.list_referrers(self.subject.digest)
        by_digest = {d.get("digest"): d for d in descs}
        for want in expected:
            got = by_digest.get(want["digest"])
            check(got is not None, f"referrer {want['digest']} is not listed; got {descs}")
            check(
                got.get("artifactType") == want["artifactType"],
                f"referrer {want['digest']} has artifactType "
                f"{got.get('artifactType')!r}, want {want['artifactType']!r}",
            )
            check(
                got.get("mediaType") == OCI_MANIFEST and got.get("size") == want["size"],
                f"referrer descriptor is {got}",
            )
            for k, v in want.get("annotations", {}).items():
                check(
                    (got.get("annotations") or {}).get(k) == v,
                    f"referrer {want['digest']} lacks annotation {k}={v}: {got}",
                )
            ok(f"{want['digest']} listed, artifactType {want['artifactType']}")
        check(
            len(descs) == len(expected),
            f"{len(descs)} referrers listed, want {len(expected)}: {descs}",
        )

        step(f"GET referrers with ?artifactType={SBOM_TYPE}")
        descs, filters = self.list_referrers(self.subject.digest, SBOM_TYPE)
        listed = {d.get("digest") for d in descs}
        sbom = expected[0]["digest"]
        check(sbom in listed, f"filtered referrers lack {sbom}: {descs}")
        # Filtering is optional; a registry that filtered must say so.
        if filters and "artifactType" in filters:
            check(
                all(d.get("artifactType") == SBOM_TYPE for d in descs),
                f"OCI-Filters-Applied is set but other types are listed: {descs}",
            )
            ok("filter applied (OCI-Filters-Applied: artifactType)")
        else:
            ok("filter not applied by the registry (allowed); sbom listed")

        unknown = sha256(secrets.token_bytes(32))
        step(f"GET referrers of an unknown digest {unknown}")
        descs, _ = self.list_referrers(unknown)
        check(descs == [], f"unknown subject has referrers: {descs}")
        ok("empty image index")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("registry", metavar="HOST:PORT", help="registry address, plain HTTP")
    ap.add_argument(
        "--referrers",
        action="store_true",
        help="also push referrers and check the referrers API",
    )
    args = ap.parse_args()
    if "/" in args.registry or ":" not in args.registry:
        ap.error("give the registry as HOST:PORT, without a scheme or path")

    rt = Roundtrip(args.registry)
    print(f"oras SDK {oras.__version__}, registry {rt.base}, repository {rt.repo}")
    try:
        rt.ping()
        rt.push_and_pull()
        if args.referrers:
            sbom = rt.push_sbom_referrer()
            sig = rt.push_signature_referrer()
            rt.check_referrers([sbom, sig])
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # the SDK raises plain ValueError and friends
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        rt.tmp.cleanup()
    print("PASS" + (" (push/pull and referrers)" if args.referrers else " (push/pull)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
