# Journal lines as virtperf writes them (platform/journal.h), for tests that
# forge journals: "<crc32 of text, 8 hex digits> <text>\n".
crc32_hex() { # TEXT: its CRC-32, from gzip's trailer (little-endian host)
    printf '%s' "$1" | gzip -c | tail -c8 | head -c4 | od -An -tx4 | tr -d ' \n'
}
journal_line() { # TEXT: one checksummed, terminated line
    printf '%s %s\n' "$(crc32_hex "$1")" "$1"
}
start_time() { # PID: field 22 of /proc/PID/stat
    cut -d')' -f2- "/proc/$1/stat" | awk '{print $20}'
}
