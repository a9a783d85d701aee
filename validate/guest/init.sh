#!/bin/busybox sh
# PID 1 of the lab's guest: mount /proc, then run the load generator named on the kernel command
# line (mb.mode=stride mb.args=16) with its heartbeat on the serial console. No disk, no network.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
mode=idle
args=
for word in $(/bin/busybox cat /proc/cmdline); do
  case "$word" in
    mb.mode=*) mode=${word#mb.mode=} ;;
    mb.args=*) args=$(echo "${word#mb.args=}" | /bin/busybox tr , ' ') ;;
  esac
done
echo "mb boot mode=$mode args=$args"
/loadgen "$mode" $args
echo "mb loadgen exited with $?"
exec /bin/busybox sleep 1000000
