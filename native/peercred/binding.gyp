{ "targets": [ { "target_name": "peercred", "sources": ["peercred.c", "relay.c"], "libraries": ["-ldl"], "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]] } ] }
