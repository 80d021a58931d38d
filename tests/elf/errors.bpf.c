// Objects the reader must reject with a clear error; -DVARIANT=n picks one.
//   1: a program in an unknown section          2: a call to a kfunc (needs the kernel)
//   3: a __ksym variable (needs the kernel)      4: CO-RE: the kernel's type id (TYPE_ID_TARGET)
//   5: CO-RE: a type only declared here (FWD)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct;
struct local {
  int pid;
} __attribute__((preserve_access_index));

#if VARIANT == 2
extern void bpf_rcu_read_lock(void) __ksym;
#elif VARIANT == 3
extern const int bpf_prog_active __ksym;
#endif

#if VARIANT == 1
SEC("bogus/thing")
#else
SEC("kprobe/do_nanosleep")
#endif
int k(void* ctx) {
#if VARIANT == 2
  bpf_rcu_read_lock();
  return 0;
#elif VARIANT == 3
  return *(const int*)&bpf_prog_active;
#elif VARIANT == 4
  return bpf_core_type_id_kernel(struct local);
#elif VARIANT == 5
  return bpf_core_type_exists(struct task_struct);
#else
  return 0;
#endif
}

char LICENSE[] SEC("license") = "GPL";
