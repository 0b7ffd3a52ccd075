"""Write static/sounds/notification.wav, the short chime of new-message notifications
(static/js/notifications.js): two soft sine tones, 0.3 s, 8-bit mono at 16 kHz (5 KB).

    python scripts/notification_sound.py
"""

import math
import wave
from pathlib import Path

RATE = 16_000
TARGET = Path(__file__).resolve().parent.parent / "static" / "sounds" / "notification.wav"


def tone(frequency: float, seconds: float, volume: float = 0.35) -> bytes:
    """A sine tone with a 5 ms attack and an exponential decay, as unsigned 8-bit samples."""
    samples = bytearray()
    count = int(RATE * seconds)
    for i in range(count):
        t = i / RATE
        envelope = min(1.0, i / (0.005 * RATE)) * math.exp(-5.0 * t / seconds)
        samples.append(int(128 + 127 * volume * envelope * math.sin(2 * math.pi * frequency * t)))
    return bytes(samples)


def main() -> None:
    with wave.open(str(TARGET), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(RATE)
        out.writeframes(tone(880, 0.12) + tone(1318.5, 0.2))


if __name__ == "__main__":
    main()
