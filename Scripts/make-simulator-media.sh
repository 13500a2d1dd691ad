#!/usr/bin/env bash
# Makes the simulator's tiny video and MP3 results with ffmpeg (Debian's ffmpeg package): a
# 1-second 64x36 H.264/AAC MP4 of ffmpeg's test pattern and a 1-second 440 Hz MP3. The simulator
# serves them as the results of video and audio models; WAV, GLB, PNG and text it makes itself.
# Run once; the outputs are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Sources/RunningHubSimulator/Resources
ffmpeg -v error -y -f lavfi -i "testsrc=size=64x36:rate=8:duration=1" -f lavfi -i "sine=frequency=440:duration=1" \
    -c:v libx264 -pix_fmt yuv420p -profile:v baseline -preset veryslow -crf 40 -c:a aac -b:a 16k -shortest \
    -movflags +faststart -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact "$out/result.mp4"
ffmpeg -v error -y -f lavfi -i "sine=frequency=440:duration=1" -c:a libmp3lame -b:a 16k -map_metadata -1 \
    -fflags +bitexact -flags:a +bitexact "$out/result.mp3"
ls -l "$out/result.mp4" "$out/result.mp3"
