#include <stdio.h>
int main(void) { puts("imgpool " IMGPOOL_VERSION); return 0; }
