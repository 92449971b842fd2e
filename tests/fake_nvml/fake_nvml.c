/*
 * A fake libnvidia-ml.so.1 for tests: exports the NVML symbols mlcontain's
 * GPU detection calls and answers from a canned scenario.
 *
 * The scenario comes from $FAKE_NVML_SCENARIO, else from the compile-time
 * default FAKE_NVML_DEFAULT_SCENARIO (-DFAKE_NVML_DEFAULT_SCENARIO="\"h100\"").
 *
 * Scenarios: none-gpus, h100, rtx5090, a100_4090, gtx1080, failing, mig,
 *            init-fail (driver not loaded), hang (nvmlInit sleeps 30 s),
 *            crash / segv (nvmlInit aborts / dereferences NULL),
 *            and the compatibility hosts (issue 12): b200x8_570, b200x8_580,
 *            gb200_580, gb10_580, rtxpro6000_575, rtxpro6000_595, thor_580,
 *            h200x8_590, v100_h100_580, gtx1080ti_580, a100_470.
 *
 * Build: cc -shared -fPIC -o DIR/libnvidia-ml.so.1 fake_nvml.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FAKE_NVML_DEFAULT_SCENARIO
#define FAKE_NVML_DEFAULT_SCENARIO "none-gpus"
#endif

typedef int nvmlReturn_t;
typedef struct fake_device *nvmlDevice_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
    NVML_ERROR_UNKNOWN = 999,
};

typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;

struct fake_device {
    const char *name;
    const char *uuid;
    unsigned long long memory_mib;
    int cc_major, cc_minor;
    int mig; /* -1: not supported, 0: disabled, 1: enabled */
    nvmlReturn_t name_error, memory_error;
};

struct scenario {
    const char *id;
    nvmlReturn_t init_result;
    int hang;
    const char *driver;
    int cuda;
    unsigned int count;
    int memory_v2_missing; /* old driver: only the v1 memory call works */
    struct fake_device devices[8];
};

/* One of eight identical data-center GPUs (UUIDs differ by the index digit). */
#define GPU8(name, tag, mib, maj, min, i) \
    {name, "GPU-" tag "000" #i "-0000-0000-0000-00000000000" #i, mib, maj, min, 0, 0, 0}
#define EIGHT(name, tag, mib, maj, min)                                              \
    GPU8(name, tag, mib, maj, min, 0), GPU8(name, tag, mib, maj, min, 1),            \
        GPU8(name, tag, mib, maj, min, 2), GPU8(name, tag, mib, maj, min, 3),        \
        GPU8(name, tag, mib, maj, min, 4), GPU8(name, tag, mib, maj, min, 5),        \
        GPU8(name, tag, mib, maj, min, 6), GPU8(name, tag, mib, maj, min, 7)

static const struct scenario SCENARIOS[] = {
    {"none-gpus", NVML_SUCCESS, 0, "550.54.15", 12040, 0, 0, {{0}}},
    {"h100", NVML_SUCCESS, 0, "535.104.05", 12020, 1, 0,
     {{"NVIDIA H100 80GB HBM3", "GPU-11111111-2222-3333-4444-555555555555", 81559, 9, 0, 0, 0, 0}}},
    {"rtx5090", NVML_SUCCESS, 0, "570.124.06", 12080, 1, 0,
     {{"NVIDIA GeForce RTX 5090", "GPU-50905090-5090-5090-5090-509050905090", 32607, 12, 0, -1, 0, 0}}},
    {"a100_4090", NVML_SUCCESS, 0, "550.54.15", 12040, 2, 0,
     {{"NVIDIA A100-SXM4-80GB", "GPU-a100a100-a100-a100-a100-a100a100a100", 81920, 8, 0, 0, 0, 0},
      {"NVIDIA GeForce RTX 4090", "GPU-40904090-4090-4090-4090-409040904090", 24564, 8, 9, -1, 0, 0}}},
    {"gtx1080", NVML_SUCCESS, 0, "470.256.02", 11040, 1, 1,
     {{"NVIDIA GeForce GTX 1080", "GPU-10801080-1080-1080-1080-108010801080", 8192, 6, 1, -1, 0, 0}}},
    {"failing", NVML_SUCCESS, 0, "550.54.15", 12040, 2, 0,
     {{"NVIDIA H100 80GB HBM3", "GPU-deadbeef-dead-beef-dead-beefdeadbeef", 81559, 9, 0, 0,
       NVML_ERROR_UNKNOWN, NVML_ERROR_GPU_IS_LOST},
      {"NVIDIA A100-SXM4-80GB", "GPU-a100a100-a100-a100-a100-a100a100a100", 81920, 8, 0, 0, 0, 0}}},
    {"mig", NVML_SUCCESS, 0, "535.104.05", 12020, 1, 0,
     {{"NVIDIA H100 80GB HBM3", "GPU-11111111-2222-3333-4444-555555555555", 81559, 9, 0, 1, 0, 0}}},
    {"init-fail", NVML_ERROR_DRIVER_NOT_LOADED, 0, "", 0, 0, 0, {{0}}},
    {"hang", NVML_SUCCESS, 1, "550.54.15", 12040, 0, 0, {{0}}},
    /* Compatibility hosts (issue 12). */
    {"b200x8_570", NVML_SUCCESS, 0, "570.172.08", 12080, 8, 0, {EIGHT("NVIDIA B200", "b200", 183359, 10, 0)}},
    {"b200x8_580", NVML_SUCCESS, 0, "580.95.05", 13000, 8, 0, {EIGHT("NVIDIA B200", "b200", 183359, 10, 0)}},
    {"gb200_580", NVML_SUCCESS, 0, "580.95.05", 13000, 4, 0,
     {GPU8("NVIDIA GB200", "gb20", 189471, 10, 0, 0), GPU8("NVIDIA GB200", "gb20", 189471, 10, 0, 1),
      GPU8("NVIDIA GB200", "gb20", 189471, 10, 0, 2), GPU8("NVIDIA GB200", "gb20", 189471, 10, 0, 3)}},
    {"gb10_580", NVML_SUCCESS, 0, "580.95.05", 13000, 1, 0,
     {{"NVIDIA GB10", "GPU-6b106b10-6b10-6b10-6b10-6b106b106b10", 122502, 12, 1, -1, 0, 0}}},
    {"rtxpro6000_575", NVML_SUCCESS, 0, "575.57.08", 12090, 1, 0,
     {{"NVIDIA RTX PRO 6000 Blackwell Workstation Edition", "GPU-60006000-6000-6000-6000-600060006000", 97887, 12, 0, -1, 0, 0}}},
    {"rtxpro6000_595", NVML_SUCCESS, 0, "595.58.03", 13020, 1, 0,
     {{"NVIDIA RTX PRO 6000 Blackwell Workstation Edition", "GPU-60006000-6000-6000-6000-600060006000", 97887, 12, 0, -1, 0, 0}}},
    {"thor_580", NVML_SUCCESS, 0, "580.00", 13000, 1, 0,
     {{"NVIDIA Thor", "GPU-7h0r7h0r-7h0r-7h0r-7h0r-7h0r7h0r7h0r", 125772, 11, 0, -1, 0, 0}}},
    {"h200x8_590", NVML_SUCCESS, 0, "590.44.01", 13010, 8, 0, {EIGHT("NVIDIA H200", "h200", 143771, 9, 0)}},
    {"v100_h100_580", NVML_SUCCESS, 0, "580.95.05", 13000, 2, 0,
     {{"Tesla V100-SXM2-32GB", "GPU-v100v100-v100-v100-v100-v100v100v100", 32768, 7, 0, 0, 0, 0},
      {"NVIDIA H100 80GB HBM3", "GPU-11111111-2222-3333-4444-555555555555", 81559, 9, 0, 0, 0, 0}}},
    {"gtx1080ti_580", NVML_SUCCESS, 0, "580.95.05", 13000, 1, 0,
     {{"NVIDIA GeForce GTX 1080 Ti", "GPU-1080t1ti-1080-1080-1080-1080t11080t1", 11264, 6, 1, -1, 0, 0}}},
    {"a100_470", NVML_SUCCESS, 0, "470.256.02", 11040, 1, 1,
     {{"NVIDIA A100-SXM4-80GB", "GPU-a100a100-a100-a100-a100-a100a100a100", 81920, 8, 0, 0, 0, 0}}},
};

static const struct scenario *current(void) {
    const char *id = getenv("FAKE_NVML_SCENARIO");
    if (id == NULL || id[0] == '\0')
        id = FAKE_NVML_DEFAULT_SCENARIO;
    for (size_t i = 0; i < sizeof SCENARIOS / sizeof SCENARIOS[0]; i++)
        if (strcmp(SCENARIOS[i].id, id) == 0)
            return &SCENARIOS[i];
    return &SCENARIOS[0];
}

static nvmlReturn_t copy_string(const char *s, char *buf, unsigned int len) {
    if (buf == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(s) + 1 > len)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(buf, s);
    return NVML_SUCCESS;
}

static const struct fake_device *dev(nvmlDevice_t d) {
    return (const struct fake_device *)d;
}

static nvmlReturn_t do_init(void) {
    /* crash: the library dies inside nvmlInit (a broken driver install). */
    const char *id = getenv("FAKE_NVML_SCENARIO");
    if (id != NULL && strcmp(id, "crash") == 0)
        abort();
    if (id != NULL && strcmp(id, "segv") == 0)
        *(volatile int *)0 = 1;
    const struct scenario *s = current();
    if (s->hang)
        sleep(30);
    return s->init_result;
}

nvmlReturn_t nvmlInit_v2(void) { return do_init(); }
nvmlReturn_t nvmlInitWithFlags(unsigned int flags) { (void)flags; return do_init(); }
nvmlReturn_t nvmlShutdown(void) { return NVML_SUCCESS; }

const char *nvmlErrorString(nvmlReturn_t r) {
    switch (r) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return copy_string(current()->driver, version, length);
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
    return copy_string("12.550.54.15", version, length);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v) {
    *v = current()->cuda;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v) {
    *v = current()->cuda;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    *count = current()->count;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    const struct scenario *s = current();
    if (index >= s->count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = (nvmlDevice_t)&s->devices[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index) {
    *index = (unsigned int)(dev(device) - current()->devices);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    if (dev(device)->name_error)
        return dev(device)->name_error;
    return copy_string(dev(device)->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    return copy_string(dev(device)->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    if (dev(device)->memory_error)
        return dev(device)->memory_error;
    memory->total = dev(device)->memory_mib * 1024ULL * 1024ULL;
    memory->used = 512ULL * 1024ULL * 1024ULL;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
    if (current()->memory_v2_missing)
        return NVML_ERROR_FUNCTION_NOT_FOUND;
    if (memory->version != (unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))
        return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    if (dev(device)->memory_error)
        return dev(device)->memory_error;
    memory->total = dev(device)->memory_mib * 1024ULL * 1024ULL;
    memory->reserved = 256ULL * 1024ULL * 1024ULL;
    memory->used = 512ULL * 1024ULL * 1024ULL;
    memory->free = memory->total - memory->used - memory->reserved;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
    *major = dev(device)->cc_major;
    *minor = dev(device)->cc_minor;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current_mode,
                                  unsigned int *pending_mode) {
    if (dev(device)->mig < 0)
        return NVML_ERROR_NOT_SUPPORTED;
    *current_mode = (unsigned int)dev(device)->mig;
    *pending_mode = (unsigned int)dev(device)->mig;
    return NVML_SUCCESS;
}
