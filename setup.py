"""Package mapping: `environments/` and `agents/` ship inside the wheel as `medsim.environments`
and `medsim.agents` (docs/architecture.md §1). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

ROOTS = {"medsim": "medsim", "medsim.environments": "environments", "medsim.agents": "agents"}

packages: list[str] = []
for name, folder in ROOTS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=ROOTS)
