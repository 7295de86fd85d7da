"""Provisional (normal family only); benchmarks/bench_costs.py overwrites this file."""

FITS = {
    ('normal', 'map'): (7.13e-05, 2e-10, 6.5, 30.1),
    ('normal', 'mle'): (3.42e-05, 1.48e-08, 0.03, 16.0),
    ('normal', 'mom'): (2.94e-05, 1.61e-08, 0.07, 40.5),
    ('normal', 'posterior'): (0.038, 2.11e-05, 9.1, 21.4),
    ('normal', 'unbiased'): (2.38e-05, 8.8e-09, 0.04, 16.0),
}
JOB_START_SECONDS = 2.0
JOB_BASE_BYTES = {'numpy': 1.8e8, 'pymc': 4.5e8}
SUMMARY = {
    'combine': (240, 2e8, 1e-6, 1.0),
}
