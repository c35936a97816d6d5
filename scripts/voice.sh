#!/usr/bin/env bash
# Makes the kiosk's and pad's recorded voice prompts (public/audio/{zh,en})
# from text with Debian's espeak-ng, encoded as small MP3s with lame. The
# files are committed, so building the product does not need these tools;
# run this again only to change a prompt (and pin what it printed in the
# commit message). The names match app::components::voice::Prompt::file.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v espeak-ng >/dev/null || ! command -v lame >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y espeak-ng lame
fi
espeak-ng --version

say() { # lang voice file text
  local dir="public/audio/$1"
  mkdir -p "$dir"
  espeak-ng -v "$2" -s 150 -w /tmp/hcp-voice.wav "$4"
  lame --quiet -m m -b 32 --resample 22.05 /tmp/hcp-voice.wav "$dir/$3.mp3"
}

# Debian's espeak-ng has only the small Mandarin dictionary, which reads
# Chinese characters wrongly; the same words in tone-numbered pinyin, with
# its pinyin voice, come out right.
say zh cmn-latn-pinyin please_rate "qing3 nin2 dui4 ben3 ci4 fu2 wu4 zuo4 chu1 ping2 jia4"  # 请您对本次服务作出评价
say zh cmn-latn-pinyin thanks "xie4 xie5 nin2 de5 ping2 jia4"                             # 谢谢您的评价
say zh cmn-latn-pinyin very_satisfied "fei1 chang2 man3 yi4"                              # 非常满意
say zh cmn-latn-pinyin satisfied "man3 yi4"                                               # 满意
say zh cmn-latn-pinyin basic "ji1 ben3 man3 yi4"                                          # 基本满意
say zh cmn-latn-pinyin dissatisfied "bu4 man3 yi4"                                        # 不满意
say zh cmn-latn-pinyin very_dissatisfied "fei1 chang2 bu4 man3 yi4"                       # 非常不满意

say en en-us please_rate "Please rate our service"
say en en-us thanks "Thank you for your rating"
say en en-us very_satisfied "Very satisfied"
say en en-us satisfied "Satisfied"
say en en-us basic "Basically satisfied"
say en en-us dissatisfied "Dissatisfied"
say en en-us very_dissatisfied "Very dissatisfied"
rm -f /tmp/hcp-voice.wav
ls -l public/audio/*
