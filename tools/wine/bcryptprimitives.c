/*
 * Test-only stand-in for bcryptprimitives.dll, put beside Deno's deno.exe so that it runs under
 * Wine 8 (tools/wine_suite.sh). Never shipped. It supplies what Wine 8 lacks:
 *
 * 1. ProcessPrng, deno.exe's only import from this DLL, over RtlGenRandom (SystemFunction036).
 * 2. Under Wine only: VirtualAlloc2 hidden from kernelbase's export name table, so that V8 takes
 *    its older path instead of placeholders (MEM_RESERVE_PLACEHOLDER), which Wine 8 rejects.
 * 3. Under Wine only: a listing of \\.\pipe\ (Wine 8 fails it with "Bad device type"). Every pipe
 *    a process of the prefix creates through deno.exe's CreateNamedPipeW is recorded in a file
 *    of the prefix's temp dir; FindFirstFileExW of \\.\pipe\* answers from that record, without
 *    the pipes WaitNamedPipeW says are gone. SHIM_NO_PIPE_LIST=1 leaves the listing failing, as
 *    Wine has it, to test what sockhop does then.
 *
 * Build: x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c
 */
#include <windows.h>
#include <wchar.h>

typedef BOOLEAN(WINAPI *RtlGenRandomFn)(PVOID, ULONG);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  static RtlGenRandomFn gen;
  if (!gen) {
    HMODULE advapi = LoadLibraryA("advapi32.dll");
    gen = advapi ? (RtlGenRandomFn)GetProcAddress(advapi, "SystemFunction036") : NULL;
    if (!gen) return FALSE;
  }
  while (len > 0) {
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!gen(data, n)) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static IMAGE_NT_HEADERS *nt_headers(HMODULE m) {
  IMAGE_DOS_HEADER *dos = (IMAGE_DOS_HEADER *)m;
  return (IMAGE_NT_HEADERS *)((BYTE *)m + dos->e_lfanew);
}

/* Rename kernelbase's VirtualAlloc2 to "VirtualAlloc!" ('!' sorts before '2': order kept). */
static void hide_virtualalloc2(void) {
  HMODULE kb = GetModuleHandleA("kernelbase.dll");
  if (!kb) return;
  IMAGE_DATA_DIRECTORY dir =
      nt_headers(kb)->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
  if (!dir.VirtualAddress) return;
  IMAGE_EXPORT_DIRECTORY *exp = (IMAGE_EXPORT_DIRECTORY *)((BYTE *)kb + dir.VirtualAddress);
  DWORD *names = (DWORD *)((BYTE *)kb + exp->AddressOfNames);
  for (DWORD i = 0; i < exp->NumberOfNames; i++) {
    char *name = (char *)kb + names[i];
    if (strcmp(name, "VirtualAlloc2") != 0) continue;
    DWORD old;
    if (VirtualProtect(name, 16, PAGE_READWRITE, &old)) {
      name[12] = '!';
      VirtualProtect(name, 16, old, &old);
    }
    return;
  }
}

/* ---- the pipe record ---- */

typedef HANDLE(WINAPI *CreateNamedPipeWFn)(LPCWSTR, DWORD, DWORD, DWORD, DWORD, DWORD, DWORD,
                                           LPSECURITY_ATTRIBUTES);
typedef HANDLE(WINAPI *FindFirstFileExWFn)(LPCWSTR, FINDEX_INFO_LEVELS, LPVOID,
                                           FINDEX_SEARCH_OPS, LPVOID, DWORD);
typedef BOOL(WINAPI *FindNextFileWFn)(HANDLE, LPWIN32_FIND_DATAW);
typedef BOOL(WINAPI *FindCloseFn)(HANDLE);

static CreateNamedPipeWFn real_create_pipe;
static FindFirstFileExWFn real_find_first;
static FindNextFileWFn real_find_next;
static FindCloseFn real_find_close;
static CRITICAL_SECTION lock;
static const wchar_t PIPE_PREFIX[] = L"\\\\.\\pipe\\";
#define PIPE_PREFIX_LEN 9
#define MAX_LISTED 256

static void record_path(wchar_t *out, DWORD size) {
  DWORD n = GetTempPathW(size - 32, out);
  if (n == 0 || n >= size - 32) out[0] = 0;
  wcscat(out, L"wine-pipe-record.txt");
}

static HANDLE WINAPI my_create_pipe(LPCWSTR name, DWORD open, DWORD mode, DWORD max, DWORD out,
                                    DWORD in, DWORD timeout, LPSECURITY_ATTRIBUTES sa) {
  HANDLE h = real_create_pipe(name, open, mode, max, out, in, timeout, sa);
  if (h == INVALID_HANDLE_VALUE || !name || _wcsnicmp(name, PIPE_PREFIX, PIPE_PREFIX_LEN) != 0)
    return h;
  wchar_t path[MAX_PATH + 32];
  record_path(path, MAX_PATH + 32);
  char line[1024];
  int n = WideCharToMultiByte(CP_UTF8, 0, name + PIPE_PREFIX_LEN, -1, line, sizeof line - 2,
                              NULL, NULL);
  if (n <= 1) return h;
  line[n - 1] = '\n';
  EnterCriticalSection(&lock);
  HANDLE f = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                         OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f != INVALID_HANDLE_VALUE) {
    DWORD written;
    WriteFile(f, line, (DWORD)n, &written, NULL);
    CloseHandle(f);
  }
  LeaveCriticalSection(&lock);
  return h;
}

struct listing {
  int count;
  int next;
  wchar_t names[MAX_LISTED][MAX_PATH];
};
static struct listing *open_listings[16];

static BOOL pipe_alive(const wchar_t *name) {
  wchar_t full[MAX_PATH + PIPE_PREFIX_LEN];
  wcscpy(full, PIPE_PREFIX);
  wcsncat(full, name, MAX_PATH - 1);
  if (WaitNamedPipeW(full, 1)) return TRUE;
  DWORD err = GetLastError();
  return err != ERROR_FILE_NOT_FOUND && err != ERROR_BAD_PATHNAME;
}

static void read_record(struct listing *l) {
  wchar_t path[MAX_PATH + 32];
  record_path(path, MAX_PATH + 32);
  HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f == INVALID_HANDLE_VALUE) return;
  static char buf[1 << 20];
  DWORD got = 0;
  ReadFile(f, buf, sizeof buf - 1, &got, NULL);
  CloseHandle(f);
  buf[got] = 0;
  for (char *line = buf, *end; *line && l->count < MAX_LISTED; line = end + 1) {
    end = strchr(line, '\n');
    if (!end) break;
    *end = 0;
    wchar_t name[MAX_PATH];
    if (!MultiByteToWideChar(CP_UTF8, 0, line, -1, name, MAX_PATH)) continue;
    BOOL seen = FALSE;
    for (int i = 0; i < l->count && !seen; i++) seen = _wcsicmp(l->names[i], name) == 0;
    if (!seen && pipe_alive(name)) wcscpy(l->names[l->count++], name);
  }
}

static void fill(struct listing *l, LPWIN32_FIND_DATAW data) {
  ZeroMemory(data, sizeof *data);
  data->dwFileAttributes = FILE_ATTRIBUTE_NORMAL;
  wcscpy(data->cFileName, l->names[l->next++]);
}

static BOOL is_pipe_listing(LPCWSTR path) {
  if (!path || getenv("SHIM_NO_PIPE_LIST")) return FALSE;
  return _wcsicmp(path, L"\\\\.\\pipe\\*") == 0 || _wcsicmp(path, L"\\\\?\\pipe\\*") == 0;
}

static HANDLE WINAPI my_find_first(LPCWSTR path, FINDEX_INFO_LEVELS level, LPVOID data,
                                   FINDEX_SEARCH_OPS op, LPVOID filter, DWORD flags) {
  if (!is_pipe_listing(path)) return real_find_first(path, level, data, op, filter, flags);
  struct listing *l = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *l);
  if (!l) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return INVALID_HANDLE_VALUE;
  }
  read_record(l);
  if (l->count == 0) {
    HeapFree(GetProcessHeap(), 0, l);
    SetLastError(ERROR_FILE_NOT_FOUND);
    return INVALID_HANDLE_VALUE;
  }
  EnterCriticalSection(&lock);
  int slot = -1;
  for (int i = 0; i < 16 && slot < 0; i++)
    if (!open_listings[i]) slot = i;
  if (slot >= 0) open_listings[slot] = l;
  LeaveCriticalSection(&lock);
  if (slot < 0) {
    HeapFree(GetProcessHeap(), 0, l);
    SetLastError(ERROR_TOO_MANY_OPEN_FILES);
    return INVALID_HANDLE_VALUE;
  }
  fill(l, data);
  return (HANDLE)l;
}

static struct listing *ours(HANDLE h) {
  for (int i = 0; i < 16; i++)
    if (open_listings[i] && (HANDLE)open_listings[i] == h) return open_listings[i];
  return NULL;
}

static BOOL WINAPI my_find_next(HANDLE h, LPWIN32_FIND_DATAW data) {
  struct listing *l = ours(h);
  if (!l) return real_find_next(h, data);
  if (l->next >= l->count) {
    SetLastError(ERROR_NO_MORE_FILES);
    return FALSE;
  }
  fill(l, data);
  return TRUE;
}

static BOOL WINAPI my_find_close(HANDLE h) {
  EnterCriticalSection(&lock);
  for (int i = 0; i < 16; i++) {
    if (open_listings[i] && (HANDLE)open_listings[i] == h) {
      HeapFree(GetProcessHeap(), 0, open_listings[i]);
      open_listings[i] = NULL;
      LeaveCriticalSection(&lock);
      return TRUE;
    }
  }
  LeaveCriticalSection(&lock);
  return real_find_close(h);
}

/* Point deno.exe's imports of `name` (from any DLL) at `hook`; returns the original. */
static void *patch_import(const char *name, void *hook) {
  HMODULE exe = GetModuleHandleW(NULL);
  IMAGE_DATA_DIRECTORY dir =
      nt_headers(exe)->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
  if (!dir.VirtualAddress) return NULL;
  void *original = NULL;
  IMAGE_IMPORT_DESCRIPTOR *d = (IMAGE_IMPORT_DESCRIPTOR *)((BYTE *)exe + dir.VirtualAddress);
  for (; d->Name; d++) {
    if (!d->OriginalFirstThunk) continue;
    IMAGE_THUNK_DATA *names = (IMAGE_THUNK_DATA *)((BYTE *)exe + d->OriginalFirstThunk);
    IMAGE_THUNK_DATA *addrs = (IMAGE_THUNK_DATA *)((BYTE *)exe + d->FirstThunk);
    for (; names->u1.AddressOfData; names++, addrs++) {
      if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal)) continue;
      IMAGE_IMPORT_BY_NAME *by = (IMAGE_IMPORT_BY_NAME *)((BYTE *)exe + names->u1.AddressOfData);
      if (strcmp((char *)by->Name, name) != 0) continue;
      DWORD old;
      if (!VirtualProtect(&addrs->u1.Function, sizeof(void *), PAGE_READWRITE, &old)) continue;
      if (!original) original = (void *)addrs->u1.Function;
      addrs->u1.Function = (ULONG_PTR)hook;
      VirtualProtect(&addrs->u1.Function, sizeof(void *), old, &old);
    }
  }
  return original;
}

BOOL WINAPI DllMain(HINSTANCE self, DWORD reason, LPVOID reserved) {
  (void)self;
  (void)reserved;
  if (reason != DLL_PROCESS_ATTACH) return TRUE;
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  if (!ntdll || !GetProcAddress(ntdll, "wine_get_version")) return TRUE;
  InitializeCriticalSection(&lock);
  hide_virtualalloc2();
  HMODULE k32 = GetModuleHandleA("kernel32.dll");
  void *p;
  real_create_pipe = (CreateNamedPipeWFn)GetProcAddress(k32, "CreateNamedPipeW");
  real_find_first = (FindFirstFileExWFn)GetProcAddress(k32, "FindFirstFileExW");
  real_find_next = (FindNextFileWFn)GetProcAddress(k32, "FindNextFileW");
  real_find_close = (FindCloseFn)GetProcAddress(k32, "FindClose");
  if ((p = patch_import("CreateNamedPipeW", my_create_pipe))) real_create_pipe = p;
  if ((p = patch_import("FindFirstFileExW", my_find_first))) real_find_first = p;
  if ((p = patch_import("FindNextFileW", my_find_next))) real_find_next = p;
  if ((p = patch_import("FindClose", my_find_close))) real_find_close = p;
  return TRUE;
}
