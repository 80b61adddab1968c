"""Pytest fixtures: the patched spec and an App keypair per session, a started fake per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .fake import FakeGitHub
from .skeleton import Skeletons
from .spec import Spec, load_spec

# A new app id per fake: githubkit caches JWTs and installation tokens process-wide, keyed by
# app id and installation id, and a token cached against an earlier test's fake would be a 401.
APP_IDS = itertools.count(424242)


@dataclass(frozen=True)
class AppKeypair:
    private_key_pem: str
    public_key_pem: str


@pytest.fixture(scope="session")
def openapi_spec() -> Spec:
    """GitHub's OpenAPI description, loaded and patched once per session."""
    return load_spec()


@pytest.fixture(scope="session")
def github_skeletons(openapi_spec: Spec) -> Skeletons:
    return Skeletons(openapi_spec)


@pytest.fixture(scope="session")
def app_keypair() -> AppKeypair:
    """An RSA keypair standing in for the App's private key (PEM) and GitHub's copy of it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return AppKeypair(private, public)


@contextmanager
def serve_fake(spec: Spec, keypair: AppKeypair, skeletons: Skeletons | None = None,
               **options: Any) -> Iterator[FakeGitHub]:
    """A started fake for the block; on a clean exit, `assert_clean()` (for other scopes too)."""
    fake = FakeGitHub(spec, public_key=keypair.public_key_pem, app_id=next(APP_IDS),
                      private_key=keypair.private_key_pem, skeletons=skeletons, **options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    fake.assert_clean()


@pytest.fixture
def fake_github(openapi_spec: Spec, app_keypair: AppKeypair,
                github_skeletons: Skeletons) -> Iterator[FakeGitHub]:
    """A started fake: `.url`, `.app_id`, `.private_key`; `assert_clean()` runs at teardown."""
    with serve_fake(openapi_spec, app_keypair, github_skeletons) as fake:
        yield fake
