"""Tests of the shipped metadata and assets: brand images, manifest, services, icons, translations."""
