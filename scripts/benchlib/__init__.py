"""Benchmark harness: report-to-state latency, throughput, CPU, commands, setup and memory."""
