#!/usr/bin/python3
"""The Lua worker's sandbox: whitelist, require confined to the modules
tree, text-only chunks, and the instruction and memory limits."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lua_exec  # noqa: E402


class Sandbox(unittest.TestCase):
    def ok(self, script, **kw):
        rc, _, _, out, err = lua_exec.run(script, **kw)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "OK")

    def fails(self, script, message, **kw):
        rc, _, _, out, err = lua_exec.run(script, **kw)
        self.assertNotEqual(rc, 0, "script should have failed: " + out)
        self.assertIn(message, err)
        self.assertEqual(out, "", "no body after a Lua error")

    def test_whitelist(self):
        self.ok("sandbox_whitelist.lua")

    def test_require_confined_to_modules(self):
        self.ok("sandbox_require.lua",
                get={"outside": os.path.join(lua_exec.DATA, "outside")})

    def test_binary_chunk_refused(self):
        self.fails("binary_chunk.luac", "binary chunk")

    def test_instruction_limit(self):
        self.fails("limit_loop.lua", "instruction limit exceeded",
                   extra=["--max-instructions", "2000000"])

    def test_instruction_limit_survives_pcall(self):
        self.fails("limit_loop_pcall.lua", "instruction limit exceeded",
                   extra=["--max-instructions", "2000000"])

    def test_default_instruction_limit_fires(self):
        self.fails("limit_loop.lua", "instruction limit exceeded")

    def test_memory_limit(self):
        self.fails("limit_memory.lua", "not enough memory",
                   extra=["--max-memory-mb", "32"])

    def test_memory_error_is_catchable(self):
        self.ok("limit_memory_pcall.lua")

    def test_requests_isolated(self):
        # several runs in one VM, as a serving thread runs its requests
        self.ok("isolation.lua", extra=["--repeat", "3"])

    def test_runtime_error(self):
        self.fails("runtime_error.lua", "boom from script")


if __name__ == "__main__":
    unittest.main()
