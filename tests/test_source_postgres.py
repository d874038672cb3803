"""Database source: a real throwaway PostgreSQL server holding the small sample
under its own table and column names (tests/dbsource_cases.py has the cases)."""

from __future__ import annotations

import dbsource_cases as cases

server = cases.server_fixture("postgres")


def test_validate_reads_the_mapped_tables(server, small_tables):
    cases.check_validate(server, small_tables)


def test_batch_from_the_database_equals_the_batch_from_files(server, small_batch, small_tables):
    cases.check_batch_equals_files(server, small_batch, small_tables)


def test_failures_are_one_clear_line_exit_2_nothing_published(server):
    cases.check_failures(server)


def test_a_bad_row_is_named_by_source_table_and_key(server, small_tables):
    cases.check_bad_row_names_source_table_and_key(server, small_tables)
