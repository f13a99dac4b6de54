"""The CPU-share meter's arithmetic, on snapshots written by hand (no test depends on how busy the machine is)."""

from tools.machine import CpuShareMeter, CpuSnapshot, cores_between


def test_our_own_cpu_time_is_not_counted_as_other_programs():
    start = CpuSnapshot(wall=10.0, machine_busy=100.0, own=5.0, steal=0.0)
    end = CpuSnapshot(wall=12.0, machine_busy=102.0, own=7.0, steal=0.0)  # 2 s of busy CPU, all of it ours
    assert cores_between(start, end) == (0.0, 0.0)


def test_another_program_busy_on_one_core_counts_as_one_core():
    start = CpuSnapshot(wall=0.0, machine_busy=50.0, own=1.0, steal=0.0)
    end = CpuSnapshot(wall=2.0, machine_busy=55.0, own=4.0, steal=0.0)  # 5 s busy, 3 s ours: 2 s over 2 s of wall time
    assert cores_between(start, end) == (1.0, 0.0)


def test_steal_is_reported_per_second_of_wall_time():
    start = CpuSnapshot(wall=0.0, machine_busy=0.0, own=0.0, steal=3.0)
    end = CpuSnapshot(wall=4.0, machine_busy=0.0, own=0.0, steal=4.0)
    assert cores_between(start, end) == (0.0, 0.25)


def test_counters_that_go_backwards_never_give_negative_cores():
    start = CpuSnapshot(wall=0.0, machine_busy=10.0, own=0.0, steal=2.0)
    end = CpuSnapshot(wall=1.0, machine_busy=10.5, own=1.0, steal=1.0)  # our children finished inside the window
    assert cores_between(start, end) == (0.0, 0.0)


def test_the_meter_fills_both_numbers_as_a_context_manager():
    with CpuShareMeter() as share:
        pass
    assert share.other_cores >= 0.0 and share.steal_cores >= 0.0
