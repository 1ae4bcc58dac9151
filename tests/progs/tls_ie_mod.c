/*
 * A module with initial-exec TLS, loaded with dlopen() after threads exist:
 * ld.so places its block in the static TLS surplus and must initialise it
 * in every existing thread.
 */
__thread int ie_var __attribute__((tls_model("initial-exec"))) = 42;
__thread char ie_str[16] __attribute__((tls_model("initial-exec"))) = "ie-init";

int ie_get(void);
void ie_set(int v);
const char *ie_s(void);

int ie_get(void)
{
	return ie_var;
}

void ie_set(int v)
{
	ie_var = v;
}

const char *ie_s(void)
{
	return ie_str;
}
