"""Run by `spack -e ENV python` in the image's spack stage: install the locked environment, and
push each package to the build cache the moment it is installed, so a build that fails or is
cancelled keeps everything it compiled.

  release   push every package compiled here
  tool      push the tool's dependencies at once; the tool itself waits for its tests

The push is spack's own autopush (the cache is added with --autopush), run through a check
first: a package holding the registry password is never pushed (a build that wrote it into a
file would publish it). A push that fails is reported and the build goes on: the image is fine,
only the cache missed a package. Lines for the release builder: `labforge-pushed: NAME@V/HASH`,
`labforge-cache-push: failed|refused ...` per package (printed by spack's build processes, which
run the hook), and `labforge-cache-push: finished` at the end.

Part of the labforge build context; labforge copies it, never edit it in a render.
"""

import os
import sys

import spack.environment
import spack.hooks.autopush as autopush
import spack.mirrors.mirror

PASSWORD_VARIABLE = "LABFORGE_CACHE_PASSWORD"
spack_push = autopush.post_install


def holding(prefix, secret):
    """The first file under `prefix` that contains `secret`, or None."""
    needle = secret.encode()
    for folder, _, names in os.walk(prefix):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                tail = b""
                while chunk := handle.read(1 << 20):
                    if needle in tail + chunk:
                        return path
                    tail = chunk[-len(needle):]
    return None


def checked_push(hold_roots):
    def post_install(spec, explicit):
        if spec.external or spec.package.installed_from_binary_cache:
            return
        label = f"{spec.name}@{spec.version}/{spec.dag_hash(7)}"
        if hold_roots and explicit:
            print(f"labforge-held: {label} (pushed after its tests)", flush=True)
            return
        password = os.environ.get(PASSWORD_VARIABLE)
        found = holding(spec.prefix, password) if password else None
        if found:
            print(f"labforge-cache-push: refused: {label}: the build wrote the registry password into {found}",
                  file=sys.stderr, flush=True)
            raise RuntimeError(f"{label} holds the registry password; it is not pushed")
        try:
            spack_push(spec, explicit)
        except Exception as exc:  # the cache is down or refuses: the build goes on
            print(f"labforge-cache-push: failed: {label}: {exc}", flush=True)
            return
        print(f"labforge-pushed: {label}", flush=True)

    return post_install


def main(mode):
    autopush.post_install = checked_push(hold_roots=(mode == "tool"))
    env = spack.environment.active_environment()
    try:
        # As `spack install` does with an environment, without --fail-fast: a failure stops only
        # what depends on it, so everything else is built and pushed for the next try.
        env.install_all()
    except Exception as exc:
        print(f"==> Error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        # Pushes run in spack's build processes: each reported its own line above.
        if spack.mirrors.mirror.MirrorCollection(binary=True, autopush=True):
            print("labforge-cache-push: finished", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] not in (["release"], ["tool"]):
        sys.exit(__doc__)
    main(sys.argv[1])
