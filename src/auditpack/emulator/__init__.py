"""A local AWS for the demo, the tests and the benchmarks: moto's server, the seeders and the demo's story."""
