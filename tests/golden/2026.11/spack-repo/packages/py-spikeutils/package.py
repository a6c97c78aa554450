# A lab's own tool, packaged for spack. Tool developers copy this as a starting point.
from spack.package import *


class PySpikeutils(PythonPackage):
    """Spike-train utilities used across the lab's analysis notebooks."""

    homepage = "https://git.lab.example.org/software/spikeutils"
    url = "https://git.lab.example.org/software/spikeutils/-/archive/v0.4.0/spikeutils-v0.4.0.tar.gz"

    maintainers("research-software")
    license("Apache-2.0")

    version("0.4.0", sha256="5d1a9a6c2f8e3b7c4d0e9f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e")
    version("0.3.0", sha256="8e2b7c1d0f9a3e6b5c4d2f1e0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b")

    depends_on("python@3.9:", type=("build", "run"))
    depends_on("py-setuptools@61:", type="build")
    depends_on("py-numpy@1.22:", type=("build", "run"))
    depends_on("py-neo@0.12:", type=("build", "run"))
