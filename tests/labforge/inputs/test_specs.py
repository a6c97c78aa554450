import pytest

from labforge.inputs.specs import SpecSyntaxError, parse


@pytest.mark.parametrize("text, name, version, variants", [
    ("nest@3.8 +python ~mpi", "nest", "3.8", {"python": True, "mpi": False}),
    ("neuron@9.0.0+python~rx3d", "neuron", "9.0.0", {"python": True, "rx3d": False}),
    ("arbor@0.11.0 build_type=Release", "arbor", "0.11.0", {"build_type": "Release"}),
    ("py-numpy@2.1.3 ++shared", "py-numpy", "2.1.3", {"shared": True}),
    ("hdf5@=1.14.5 api==v112", "hdf5", "=1.14.5", {"api": "v112"}),
    ("zlib", "zlib", None, {}),
])
def test_parses_supported_syntax(text, name, version, variants):
    spec = parse(text)
    assert (spec.name, spec.version, spec.variants) == (name, version, variants)


def test_dependencies_and_compiler_attach_to_the_right_spec():
    spec = parse("py-elephant@1.1.1 +extras ^py-numpy@2.1.3 ~blas %gcc@12.2.0 ^python@3.11")
    assert [d.name for d in spec.dependencies] == ["py-numpy", "python"]
    assert spec.dependencies[0].variants == {"blas": False}
    assert spec.dependencies[0].compiler.name == "gcc"
    assert spec.compiler is None


def test_round_trip_is_canonical():
    assert str(parse("nest@3.8~mpi+python")) == "nest@3.8 ~mpi +python"


@pytest.mark.parametrize("text, fragment", [
    ("nest@3.6:3.8", "version range"),
    ("nest@3.6,3.8", "version list"),
    ("nest/abcdef", "hash reference"),
    ("nest -mpi", "'-variant' spelling"),
    ("nest@3.8 cflags='-O3; rm -rf /'", "closing quote"),
    ("nest ^[virtuals=$(x)] y", "virtuals=NAME"),
    ("Nest@3.8", "package name"),
    ("nest@3.7 @3.8", "a second version"),
    ("nest +mpi ~mpi", "given twice"),
    ("nest@3.8 %gcc %clang", "a second '%'"),
    ("nest@ ", "a version after '@'"),
])
def test_rejects_with_a_reason(text, fragment):
    with pytest.raises(SpecSyntaxError) as info:
        parse(text)
    assert fragment in str(info.value)
    assert "column" in str(info.value)


def test_quoted_flags_and_edge_attributes_read_as_spack_writes_them():
    spec = parse("paraview +qt cflags=\"-O3 -g\" ^[virtuals=gl] glx")
    assert spec.variants == {"qt": True, "cflags": "-O3 -g"}
    assert spec.dependencies[0].edge == "[virtuals=gl]" and spec.dependencies[0].name == "glx"
    assert str(spec) == 'paraview cflags="-O3 -g" +qt ^[virtuals=gl] glx'


@pytest.mark.parametrize("text, version", [
    ("llvm@14:", "14:"), ("py-numpy@:1.26", ":1.26"), ("hdf5@1.12:1.14,1.8", "1.12:1.14,1.8"),
])
def test_ranges_are_read_in_other_peoples_environments(text, version):
    assert parse(text, foreign=True).version == version
    with pytest.raises(SpecSyntaxError):
        parse(text)
