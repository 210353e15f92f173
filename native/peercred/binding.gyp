{ "targets": [ { "target_name": "peercred", "sources": ["peercred.c", "relay.c", "relay-loop.c"], "libraries": ["-ldl"], "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]] } ] }
