{ "targets": [ { "target_name": "peercred", "sources": ["peercred.c", "relay.c"], "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]] } ] }
